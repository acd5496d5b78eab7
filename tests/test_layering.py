"""The layering rules of bench_common/README.md, checked rather than trusted."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("flask", "celery", "qiskit", "qiskit_aer", "stim", "kombu", "redis", "pymongo")


def _imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_bench_common_never_imports_the_api_or_the_workers() -> None:
    assert not _imports("bench_common") & {"bench_api", "bench_workers"}


def test_the_evidence_core_loads_without_flask_celery_or_qiskit() -> None:
    code = (
        "import sys, bench_common.evidence, bench_common.cli, bench_common.reporting; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
