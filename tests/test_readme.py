"""Every shell and Python block of the README runs as written, in order, against
``bench serve`` on the embedded default, from a directory laid out like a clone.

A block preceded by an ``<!-- not run ... -->`` comment is skipped, with its reason in the
comment (``make run`` and ``make test`` themselves). The README's server address
(``http://127.0.0.1:8000``) is the only thing changed: to the test server's port.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fixtures import KEY_A, Served, serve
from conftest import ROOT

BLOCK = re.compile(r"(<!-- not run[^>]*-->\n)?```(sh|python)\n(.*?)```", re.DOTALL)
README_SERVER = "http://127.0.0.1:8000"


def blocks() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text()
    return [(kind, code) for skip, kind, code in BLOCK.findall(text) if not skip]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve(tmp_path_factory.mktemp("readme-server"))


def test_every_readme_command_runs_as_written(server: Served, tmp_path: Path) -> None:
    found = blocks()
    assert {kind for kind, _ in found} == {"sh", "python"} and len(found) >= 6
    clone = tmp_path / "clone"  # what a user's working copy offers the commands
    clone.mkdir()
    for name in (".venv", "examples", "sdk", "bench_sdk", "softqcos_sdk"):
        (clone / name).symlink_to(ROOT / name)
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BENCH_")},
        "PATH": f"{venv_bin}:{os.environ['PATH']}", "KEY": KEY_A,
        "BENCH_API_URL": server.url, "BENCH_API_KEY": KEY_A,
    }  # fmt: skip
    for index, (kind, written) in enumerate(found):
        code = written.replace(README_SERVER, server.url)
        command = ["bash", "-e", "-c", code] if kind == "sh" else [sys.executable, "-c", code]
        done = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True,
                              timeout=600, check=False)  # fmt: skip
        assert done.returncode == 0, (
            f"block {index} ({kind}):\n{code}\n{done.stdout}\n{done.stderr}"
        )
