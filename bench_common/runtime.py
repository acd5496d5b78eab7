"""Per-process resources (store, signing keys, ledger), created lazily after any fork.

A ``MongoClient`` is not fork-safe and Aer is not fork-safe after first use, so nothing here
is built at import time: ``current()`` builds a ``Runtime`` the first time a process asks and
again in every forked child.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bench_common.evidence import KeyStore, Ledger
from bench_common.settings import Settings
from bench_common.store import Store, open_store


@dataclass
class Runtime:
    settings: Settings
    _keys: KeyStore | None = field(default=None, init=False, repr=False)
    _keyring_version: int | None = field(default=None, init=False, repr=False)

    @cached_property
    def store(self) -> Store:
        return open_store(self.settings.store_location)

    @property
    def keys(self) -> KeyStore:
        """The signing keys, re-read whenever the keyring file changes, so that a rotation
        (``bench keys rotate``) takes effect in running processes without a restart."""
        if self._keys is None or self._keyring_version != self._keyring_mtime():
            s = self.settings
            self._keys = KeyStore.open(
                self.keys_dir, s.signing_key_id, s.signing_key_path, s.signing_key_passphrase
            )
            self._keyring_version = self._keyring_mtime()
            if "ledger" in self.__dict__:
                self.ledger.signer = self._keys.signer
        return self._keys

    @property
    def keys_dir(self) -> Path:
        return self.settings.data_dir / "keys"

    def _keyring_mtime(self) -> int | None:
        try:
            return (self.keys_dir / KeyStore.KEYRING).stat().st_mtime_ns
        except FileNotFoundError:
            return None

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
