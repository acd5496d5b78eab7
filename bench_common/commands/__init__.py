"""Subcommands of ``bench`` that need only ``bench_common``."""
