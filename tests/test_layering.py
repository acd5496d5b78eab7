"""The layering table of bench_common/README.md, checked rather than trusted.

Every module of every package is scanned: its import statements, and every string that
names one of our modules (``"bench_workers.commands"``, ``"bench_api.app:create_app"``),
since lazy registries import by name. The checker is shown to catch each forbidden edge on
a planted module before it is trusted on the real tree.
"""

from __future__ import annotations

import ast
import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bench_sdk", "softqcos_sdk", "bench_common", "bench_workers", "bench_api", "bench_cli")
ALLOWED: dict[str, tuple[str, ...]] = {
    "bench_sdk": (),
    "softqcos_sdk": ("bench_sdk",),
    "bench_common": ("bench_sdk.codes",),
    "bench_workers": ("bench_common", "bench_sdk.codes"),
    "bench_api": ("bench_common", "bench_sdk.codes"),
    "bench_cli": ("bench_common", "bench_api", "bench_workers", "bench_sdk.codes"),
}
"""Package → what it may import besides itself (a module or a whole package)."""
HEAVY = ("flask", "celery", "qiskit", "qiskit_aer", "stim", "kombu", "redis", "pymongo")
MODULE_NAME = re.compile(rf"((?:{'|'.join(PACKAGES)})(?:\.[a-z_]+)*)(?::\w+)?")


def references(source: str) -> set[str]:
    """The modules of ours that ``source`` imports or names."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            named = MODULE_NAME.fullmatch(node.value)
            if named:
                found.add(named.group(1))
    return {name for name in found if name.split(".")[0] in PACKAGES}


def allowed(package: str, module: str) -> bool:
    if module.split(".", maxsplit=1)[0] == package:
        return True
    return any(module == ok or module.startswith(ok + ".") for ok in ALLOWED[package])


def violations(root: Path) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            for module in sorted(references(path.read_text())):
                if not allowed(package, module):
                    found.append(f"{path.relative_to(root)} -> {module}")
    return found


FORBIDDEN = [
    (importer, imported)
    for importer, imported in itertools.permutations(PACKAGES, 2)
    if not allowed(importer, imported)
]


@pytest.mark.parametrize(("importer", "imported"), FORBIDDEN)
@pytest.mark.parametrize("style", ["statement", "string"])
def test_the_checker_catches_a_planted_forbidden_edge(
    tmp_path: Path, importer: str, imported: str, style: str
) -> None:
    (tmp_path / importer).mkdir()
    planted = f"import {imported}.x\n" if style == "statement" else f'TABLE = "{imported}.x:f"\n'
    (tmp_path / importer / "planted.py").write_text(planted)
    assert violations(tmp_path) == [f"{importer}/planted.py -> {imported}.x"]


def test_the_checker_allows_what_the_table_allows(tmp_path: Path) -> None:
    (tmp_path / "bench_cli").mkdir()
    (tmp_path / "bench_cli" / "ok.py").write_text(
        'import bench_workers.jobs\nfrom bench_api import app\nLAZY = "bench_common.cli"\n'
    )
    (tmp_path / "bench_common").mkdir()
    (tmp_path / "bench_common" / "ok.py").write_text("from bench_sdk.codes import ErrorCode\n")
    assert violations(tmp_path) == []


def test_every_module_keeps_the_layering_table() -> None:
    assert violations(ROOT) == []


def test_the_evidence_core_loads_without_flask_celery_or_qiskit() -> None:
    code = (
        "import sys, bench_common.evidence, bench_common.cli, bench_common.reporting; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
