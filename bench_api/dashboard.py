"""The web app at ``/dashboard/``: static files shipped in the package, nothing from elsewhere.

The page itself needs no key: it asks the user for one and calls the public API with it in
the ``X-API-Key`` header. Every file it loads comes from ``bench_api/dashboard/`` (Chart.js
is vendored under ``vendor/``), and the Content-Security-Policy below keeps it that way.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, request, send_from_directory

FILES = Path(__file__).resolve().parent / "dashboard"
URL = "/dashboard"
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""Same origin only: no CDN, no inline script; ``blob:`` for the download links."""

blueprint = Blueprint(
    "dashboard", __name__, static_folder=str(FILES), static_url_path="", url_prefix=URL
)


@blueprint.get("/")
def index() -> Response:
    return send_from_directory(FILES, "index.html")


@blueprint.after_app_request
def _protect(response: Response) -> Response:
    """The policy and headers on every file of the app."""
    if request.path == URL or request.path.startswith(URL + "/"):
        response.headers.setdefault("Content-Security-Policy", POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-cache")
    return response
