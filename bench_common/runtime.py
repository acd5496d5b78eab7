"""Per-process resources (store, signing keys, ledger) and the catalogue they serve.

Nothing is opened at construction: each resource is made the first time it is asked for,
so a runtime can be built before a fork and used after it.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from functools import cached_property
from pathlib import Path

from bench_common.catalogue import CATALOGUE, Catalogue
from bench_common.device_models import catalogue_for
from bench_common.evidence import KeyStore, Ledger
from bench_common.settings import Settings
from bench_common.store import Store, open_store


@dataclass
class Runtime:
    settings: Settings
    given_catalogue: InitVar[Catalogue | None] = None
    """The catalogue to serve; default: the shipped one plus ``BENCH_DEVICE_MODELS``."""
    catalogue: Catalogue = field(init=False)
    _keys: KeyStore | None = field(default=None, init=False, repr=False)
    _keyring_version: int | None = field(default=None, init=False, repr=False)

    def __post_init__(self, given_catalogue: Catalogue | None) -> None:
        self.catalogue = given_catalogue or catalogue_for(
            CATALOGUE, self.settings.device_models_file
        )

    @cached_property
    def store(self) -> Store:
        return open_store(self.settings.store_location)

    @property
    def keys(self) -> KeyStore:
        """The signing keys, re-read whenever the keyring file changes, so that a rotation
        (``bench keys rotate``) takes effect in running processes without a restart. Take
        one snapshot per document: two reads may straddle a rotation."""
        if self._keys is None or self._keyring_version != self._keyring_mtime():
            s = self.settings
            self._keys = KeyStore.open(
                self.keys_dir, s.signing_key_id, s.signing_key_path, s.signing_key_passphrase
            )
            self._keyring_version = self._keyring_mtime()
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
        """The transparency log; each append is signed by the key snapshot the caller passes."""
        return Ledger(self.settings.data_dir / "ledger", None, self.settings.ledger_origin)
