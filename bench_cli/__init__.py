"""The ``bench`` command: the one place that composes the API, the workers and the offline
tools (``bench_common/README.md`` has the layering table)."""
