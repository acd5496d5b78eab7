"""The HTTP API: ``create_app`` in ``bench_api.app``; one Blueprint per resource in
``bench_api.resources``; every error in the contract's shape (``bench_api.errors``)."""
