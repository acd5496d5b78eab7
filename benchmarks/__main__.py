"""``make bench``: run every benchmark module in turn (or those named on the command line)."""

from __future__ import annotations

import importlib
import sys

MODULES = (
    "evidence",
    "simulator",
    "quantum_volume",
    "bseq",
    "layer_fidelity",
    "pipeline",
    "api",
    "dashboard",
    "chaos",
)


def main(names: list[str]) -> None:
    for name in names or MODULES:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"\n== {name} ==", flush=True)
        module.main()


if __name__ == "__main__":
    main(sys.argv[1:])
