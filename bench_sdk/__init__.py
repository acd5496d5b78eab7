"""bench_sdk package."""
