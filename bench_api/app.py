"""The application factory: ``gunicorn 'bench_api.app:create_app()'`` serves it.

The API process is thin: it validates, authorizes, records and sends a ``dispatch`` message
by task name. It imports no worker code, Qiskit or provider SDK (``tests/test_api_thin.py``).
"""

from __future__ import annotations

from flask import Blueprint, Flask
from swagger_ui_bundle import swagger_ui_path

from bench_api import dashboard, metrics, quotas, request_id
from bench_api.auth import HEADER, seed_keys
from bench_api.blueprint import API_BASE, DEFAULT_BODY_LIMIT
from bench_api.errors import BenchApi
from bench_api.platform import Platform
from bench_api.resources import BLUEPRINTS
from bench_common.broker import BrokerDispatcher, celery_app
from bench_common.runtime import Runtime
from bench_common.settings import Settings

SWAGGER_UI_URL = f"{API_BASE}/docs/assets/"
"""Swagger UI's files are served from the installed ``swagger-ui-bundle`` package, so the
docs page works on machines without internet access."""
DESCRIPTION = (
    "Benchmark quantum computers and get signed, offline-verifiable reports. Every endpoint "
    f"except /healthz and this document needs an `{HEADER}` header. Errors are JSON objects "
    "`{code, message, details, request_id}`."
)


def create_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    broker: BrokerDispatcher | None = None,
) -> Flask:
    """The API for ``settings`` (default: the environment) on ``runtime``'s store and
    catalogue; registers the configured keys."""
    settings = settings or (runtime.settings if runtime else Settings.from_env())
    runtime = runtime or Runtime(settings)
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=DEFAULT_BODY_LIMIT,
        API_TITLE="QCOS Benchmarking API",
        API_VERSION="2.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_BASE,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_UI_URL,
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "security": [{"ApiKey": []}],
            "components": {
                "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": HEADER}}
            },
        },
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    dev_key = seed_keys(settings, runtime.store)
    runtime.keys  # noqa: B018 - settle the signing key now: its validity starts before any run

    broker = broker or BrokerDispatcher(celery_app(settings, runtime.catalogue))
    here = Platform(settings, runtime, broker, dev_key)
    here.init_app(app)
    here.service  # noqa: B018 - read the run budgets now: a malformed one stops the start
    quotas.init_app(app, settings)
    request_id.init_app(app)
    metrics.init_app(app)
    api = BenchApi(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(
        Blueprint(
            "swagger_ui",
            __name__,
            static_folder=str(swagger_ui_path),
            static_url_path=SWAGGER_UI_URL.rstrip("/"),
        )
    )
    app.register_blueprint(dashboard.blueprint)
    return app
