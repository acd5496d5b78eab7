"""The append-only transparency ledger: an RFC 9162 log in one directory.

Files:
- ``entries``: the leaf inputs, back to back;
- ``hashes``: every leaf hash and every completed perfect-subtree hash, 32 bytes each, in the
  order of Go's ``tlog`` (``stored_hash_index``), so an append writes O(log n) new hashes and
  a proof reads O(log n) stored ones, whatever the log's size;
- ``index``: one 8-byte end offset per entry, written last: it is the commit record. On every
  append, under an exclusive lock, anything beyond the committed size (left by a writer killed
  mid-append) is truncated away before writing;
- ``checkpoint``: the latest signed checkpoint, replaced atomically.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench_common.documents import LedgerReceipt
from bench_common.evidence._internal.checkpoint import Checkpoint, parse_checkpoint
from bench_common.evidence._internal.errors import EvidenceFormatError, LedgerError
from bench_common.evidence._internal.merkle import (
    HASH_SIZE,
    consistency_proof,
    hash_children,
    hash_leaf,
    inclusion_proof,
    root_of,
    verify_inclusion,
)
from bench_common.evidence._internal.signing import SigningKey
from bench_common.fileutil import locked, open_private, private_dir, write_atomic

OFFSET_SIZE = 8


def stored_hash_index(level: int, n: int) -> int:
    """Position of the n-th hash of ``level`` in the hashes file."""
    for _ in range(level):
        n = 2 * n + 1
    position = 0
    while n > 0:
        position += n
        n >>= 1
    return position + level


def stored_hash_count(size: int) -> int:
    """How many hashes a log of ``size`` entries stores."""
    if size == 0:
        return 0
    count = stored_hash_index(0, size - 1) + 1
    last = size - 1
    while last & 1:
        count += 1
        last >>= 1
    return count


@dataclass(frozen=True)
class Receipt:
    """What an append returns: where the entry landed and the proof that it is there."""

    index: int
    tree_size: int
    leaf_hash: bytes
    inclusion_proof: list[bytes]
    checkpoint: str

    def to_json(self) -> LedgerReceipt:
        """The report's ``integrity.ledger`` member."""
        return {
            "index": self.index,
            "tree_size": self.tree_size,
            "inclusion_proof": [h.hex() for h in self.inclusion_proof],
            "checkpoint": self.checkpoint,
        }


class Ledger:
    """A file-backed append-only Merkle log, safe for several processes at once."""

    def __init__(
        self, directory: Path, signer: SigningKey | None, origin: str, *, fsync: bool = True
    ) -> None:
        self.directory = directory
        self.signer = signer
        self.origin = origin
        self.fsync = fsync
        private_dir(directory)
        self._entries = open_private(directory / "entries")
        self._hashes = open_private(directory / "hashes")
        self._index = open_private(directory / "index")
        self._check_checkpoint()

    def close(self) -> None:
        for fd in (self._entries, self._hashes, self._index):
            os.close(fd)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Reading: only the committed prefix, which never changes.

    @property
    def size(self) -> int:
        return os.fstat(self._index).st_size // OFFSET_SIZE

    def perfect(self, level: int, index: int) -> bytes:
        data = os.pread(self._hashes, HASH_SIZE, stored_hash_index(level, index) * HASH_SIZE)
        if len(data) != HASH_SIZE:
            raise LedgerError(f"ledger hashes file is missing node {level}/{index}")
        return data

    def _size_at_most(self, size: int | None) -> int:
        current = self.size
        if size is None:
            return current
        if not 0 <= size <= current:
            raise LedgerError(f"tree size {size} is outside 0..{current}")
        return size

    def root(self, size: int | None = None) -> bytes:
        return root_of(self, self._size_at_most(size))

    def leaf_hash(self, index: int) -> bytes:
        self._check_index(index, self.size)
        return self.perfect(0, index)

    def entry(self, index: int) -> bytes:
        self._check_index(index, self.size)
        start = self._end_offset(index - 1)
        return os.pread(self._entries, self._end_offset(index) - start, start)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self._size_at_most(size)
        self._check_index(index, size)
        return inclusion_proof(self, index, size)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        second = self._size_at_most(second)
        if not 0 < first <= second:
            raise LedgerError(f"no consistency proof from size {first} to size {second}")
        return consistency_proof(self, first, second)

    def checkpoint(self) -> str | None:
        """The latest signed checkpoint text, if any append has signed one."""
        path = self.directory / "checkpoint"
        return path.read_text() if path.exists() else None

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        if not 0 <= index < size:
            raise LedgerError(f"index {index} is outside a tree of size {size}")

    def _end_offset(self, index: int) -> int:
        if index < 0:
            return 0
        return int.from_bytes(os.pread(self._index, OFFSET_SIZE, index * OFFSET_SIZE), "big")

    def _check_checkpoint(self) -> None:
        """Refuse to serve a log whose files no longer match the checkpoint it signed."""
        note = self.checkpoint()
        if note is None:
            return
        try:
            checkpoint, _, _ = parse_checkpoint(note)
        except EvidenceFormatError as exc:
            raise LedgerError(f"ledger checkpoint is unreadable: {exc}") from exc
        size = checkpoint.size
        if (
            size > self.size
            or self.root(size) != checkpoint.root
            or not self._last_entry_proven(size)
        ):
            raise LedgerError("ledger files are inconsistent with the last signed checkpoint")

    def _last_entry_proven(self, size: int) -> bool:
        """Whether the checkpoint's last entry, rehashed, still proves into its root."""
        if size == 0:
            return True
        leaf = hash_leaf(self.entry(size - 1))
        proof = self.inclusion_proof(size - 1, size)
        return self.perfect(0, size - 1) == leaf and verify_inclusion(
            leaf, size - 1, size, proof, self.root(size)
        )

    # Writing: one writer at a time, the index record last.

    def append(self, entry: bytes, signer: SigningKey | None = None) -> Receipt:
        """Append one entry; return its index, inclusion proof and a new checkpoint signed by
        ``signer`` (default: the ledger's own key). Callers that sign the entry's document
        pass the same key snapshot, so a rotation never splits the two."""
        signer = self._signing_key(signer)
        with locked(self.directory / "lock"):
            return self._receipt(self._write([entry]), signer)

    def holds(self, index: int, entry: bytes) -> bool:
        """Whether ``entry`` is the committed entry at ``index``."""
        return 0 <= index < self.size and self.entry(index) == entry

    def receipt(self, index: int, signer: SigningKey | None = None) -> Receipt:
        """What ``append`` returns, for the entry already at ``index``: its proof into the
        log as it stands, under a new checkpoint of it signed by ``signer``. For a writer
        that appended, then died before it could keep the receipt."""
        signer = self._signing_key(signer)
        with locked(self.directory / "lock"):
            self._check_index(index, self.size)
            return self._receipt(index, signer)

    def _signing_key(self, signer: SigningKey | None) -> SigningKey:
        signer = signer or self.signer
        if signer is None:
            raise LedgerError("this ledger has no signing key: it is read-only")
        return signer

    def _receipt(self, index: int, signer: SigningKey) -> Receipt:
        """Under the lock: a signed checkpoint of the log as it stands, and the proof of the
        entry at ``index`` into it."""
        size = self.size
        note = Checkpoint(self.origin, size, self.root(size)).sign(signer)
        write_atomic(self.directory / "checkpoint", note.encode())
        return Receipt(index, size, self.perfect(0, index), self.inclusion_proof(index, size),
                       note)  # fmt: skip

    def extend(self, entries: Iterable[bytes]) -> int:
        """Append many entries in one commit, without a checkpoint; return the new size."""
        with locked(self.directory / "lock"):
            batch = list(entries)
            return self._write(batch) + len(batch) if batch else self.size

    def _write(self, entries: list[bytes]) -> int:
        """Write ``entries`` after the committed prefix; return the first one's index."""
        first = self.size
        os.ftruncate(self._index, first * OFFSET_SIZE)
        hash_position = stored_hash_count(first)
        os.ftruncate(self._hashes, hash_position * HASH_SIZE)
        offset = self._end_offset(first - 1)
        os.ftruncate(self._entries, offset)
        ends = bytearray()
        for n, entry in enumerate(entries, start=first):
            node = hash_leaf(entry)
            nodes = [node]
            for level in range((~(n + 1) & n).bit_length()):
                node = hash_children(self.perfect(level, (n >> level) - 1), node)
                nodes.append(node)
            os.pwrite(self._hashes, b"".join(nodes), hash_position * HASH_SIZE)
            hash_position += len(nodes)
            os.pwrite(self._entries, entry, offset)
            offset += len(entry)
            ends += offset.to_bytes(OFFSET_SIZE, "big")
        if self.fsync:
            os.fsync(self._entries)
            os.fsync(self._hashes)
        os.pwrite(self._index, bytes(ends), first * OFFSET_SIZE)
        if self.fsync:
            os.fsync(self._index)
        return first
