"""bench_workers package."""
