"""Per-process resources (store, signing keys, ledger), created lazily after any fork.

A ``MongoClient`` is not fork-safe and Aer is not fork-safe after first use, so nothing here
is built at import time: ``current()`` builds a ``Runtime`` the first time a process asks and
again in every forked child.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from bench_common.evidence import KeyStore, Ledger
from bench_common.settings import Settings
from bench_common.store import Store, open_store


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def store(self) -> Store:
        return open_store(self.settings.store_location)

    @cached_property
    def keys(self) -> KeyStore:
        s = self.settings
        return KeyStore.open(
            s.data_dir / "keys", s.signing_key_id, s.signing_key_path, s.signing_key_passphrase
        )

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(
            self.settings.data_dir / "ledger", self.keys.signer, self.settings.ledger_origin
        )


_current: tuple[int, Runtime] | None = None


def current() -> Runtime:
    """This process's runtime, built from the environment on first use in each process."""
    global _current  # noqa: PLW0603 - one runtime per process is the point
    if _current is None or _current[0] != os.getpid():
        _current = (os.getpid(), Runtime(Settings.from_env()))
    return _current[1]
