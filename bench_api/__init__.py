"""bench_api package."""
