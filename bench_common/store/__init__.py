"""The platform's source of truth: one ``Store`` interface, on SQLite or on MongoDB.

``open_store(url)`` picks the implementation by the URL's scheme. pymongo and mongomock are
imported only when a MongoDB store is opened (``MongoStore`` itself on first access), so the
embedded SQLite deployment never loads them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from bench_common.documents import RunStatus
from bench_common.fileutil import private_dir
from bench_common.store.base import (
    ACTIVE_STATUSES,
    Campaign,
    Job,
    Run,
    RunFilter,
    RunListing,
    Store,
    StoreError,
)
from bench_common.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from bench_common.store.mongo import MongoStore

__all__ = [
    "ACTIVE_STATUSES",
    "Campaign",
    "Job",
    "MongoStore",
    "Run",
    "RunFilter",
    "RunListing",
    "RunStatus",
    "SQLiteStore",
    "Store",
    "StoreError",
    "open_store",
]

DEFAULT_DATABASE = "qcos_bench"
# pymongo waits 30 s for a server by default; a health check and an API request should not.
SERVER_SELECTION_TIMEOUT_MS = 5000


def __getattr__(name: str) -> object:
    if name == "MongoStore":
        from bench_common.store.mongo import MongoStore  # noqa: PLC0415 - loads pymongo

        return MongoStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _open_sqlite(url: str) -> Store:
    """``sqlite:///abs/path``; the extra slash of ``sqlite:////abs/path`` is accepted."""
    location = urlsplit(url)
    if location.netloc or not location.path.strip("/"):
        raise StoreError(f"expected sqlite:///absolute/path.sqlite3, got {url!r}")
    path = Path("/" + unquote(location.path).lstrip("/"))
    try:
        private_dir(path.parent)
    except OSError as exc:
        raise StoreError(f"cannot create the store's directory {path.parent}: {exc}") from exc
    return SQLiteStore(path)


def _database_name(url: str) -> str:
    return unquote(urlsplit(url).path.strip("/")) or DEFAULT_DATABASE


def _open_mongodb(url: str) -> Store:
    """A real server; a ``serverSelectionTimeoutMS`` in the URL wins over the short default."""
    import pymongo  # noqa: PLC0415 - only MongoDB deployments need it

    from bench_common.store.mongo import MongoStore  # noqa: PLC0415 - loads pymongo

    given = {option.lower() for option in parse_qs(urlsplit(url).query)}
    options: dict[str, Any] = (
        {} if "serverselectiontimeoutms" in given
        else {"serverSelectionTimeoutMS": SERVER_SELECTION_TIMEOUT_MS}
    )  # fmt: skip
    return MongoStore(lambda: pymongo.MongoClient(url, **options), _database_name(url))


def _open_mongomock(url: str) -> Store:
    """An in-process MongoDB stand-in for tests and demos: every call opens an empty one."""
    import mongomock  # noqa: PLC0415 - a test dependency, absent in production

    from bench_common.store.mongo import MongoStore  # noqa: PLC0415 - loads pymongo

    client: Any = mongomock.MongoClient()
    return MongoStore(lambda: client, _database_name(url))


OPENERS: dict[str, Callable[[str], Store]] = {
    "sqlite": _open_sqlite,
    "mongodb": _open_mongodb,
    "mongodb+srv": _open_mongodb,
    "mongomock": _open_mongomock,
}


def open_store(url: str) -> Store:
    """The store at ``url`` (``sqlite:///…``, ``mongodb://…``, ``mongodb+srv://…``,
    ``mongomock://…``); a MongoDB database is named by the URL's path."""
    scheme = urlsplit(url).scheme
    opener = OPENERS.get(scheme)
    if opener is None:
        raise StoreError(f"unknown store scheme {scheme!r}; expected one of {sorted(OPENERS)}")
    return opener(url)
