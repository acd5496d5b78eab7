"""The transparency ledger: large logs, proofs against it, and crashes in mid-append."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bench_common.evidence import (
    KeyStore,
    Ledger,
    LedgerError,
    TrustedKeys,
    hash_leaf,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)


def _entry(i: int) -> bytes:
    return b'{"n":%d,"v":1}' % i


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    return KeyStore.open(tmp_path / "keys", "ledger-key")


@pytest.mark.slow
def test_100000_appends_then_sampled_proofs_verify(tmp_path: Path, keys: KeyStore) -> None:
    rng = random.Random(7)
    trusted = keys.trusted()
    with Ledger(tmp_path / "log", keys.signer, "test/log", fsync=False) as log:
        checkpoints = []
        written = 0
        while written < 100_000:
            batch = rng.randint(1, 5000)
            log.extend(_entry(i) for i in range(written, min(written + batch, 99_999)))
            receipt = log.append(_entry(log.size))  # a signed checkpoint at a random size
            written = log.size
            checkpoints.append(verify_checkpoint(receipt.checkpoint, trusted))
            assert verify_inclusion(
                receipt.leaf_hash, receipt.index, receipt.tree_size, receipt.inclusion_proof,
                checkpoints[-1].root,
            )  # fmt: skip
        assert log.size == 100_000
        root = log.root()
        assert checkpoints[-1].root == root
        for index in rng.sample(range(100_000), 300):
            leaf = hash_leaf(_entry(index))
            assert log.leaf_hash(index) == leaf and log.entry(index) == _entry(index)
            assert verify_inclusion(leaf, index, 100_000, log.inclusion_proof(index), root)
            assert not verify_inclusion(
                leaf, index, 100_000, log.inclusion_proof(index), root[::-1]
            )
        for first, second in itertools.pairwise(checkpoints):
            proof = log.consistency_proof(first.size, second.size)
            assert verify_consistency(first.size, second.size, proof, first.root, second.root)
        for a, b in (sorted(rng.sample(checkpoints, 2), key=lambda c: c.size) for _ in range(50)):
            if a.size < b.size:
                proof = log.consistency_proof(a.size, b.size)
                assert verify_consistency(a.size, b.size, proof, a.root, b.root)


def test_reads_outside_the_log_are_refused(tmp_path: Path, keys: KeyStore) -> None:
    with Ledger(tmp_path / "log", keys.signer, "test/log") as log:
        log.append(b"one")
        for call in (lambda: log.entry(1), lambda: log.inclusion_proof(0, 2), lambda: log.root(5)):
            with pytest.raises(LedgerError):
                call()
        with pytest.raises(LedgerError):
            log.consistency_proof(0, 1)
    with Ledger(tmp_path / "log", None, "test/log") as reader, pytest.raises(LedgerError):
        reader.append(b"two")


def test_torn_writes_beyond_the_commit_record_are_discarded(tmp_path: Path, keys: KeyStore) -> None:
    with Ledger(tmp_path / "log", keys.signer, "test/log") as log:
        for i in range(10):
            log.append(_entry(i))
        root = log.root()
    for name, garbage in (
        ("entries", b"partial entry"),
        ("hashes", b"\x07" * 45),
        ("index", b"\x01\x02\x03"),
    ):
        with (tmp_path / "log" / name).open("ab") as f:
            f.write(garbage)
    with Ledger(tmp_path / "log", keys.signer, "test/log") as log:
        assert log.size == 10 and log.root() == root
        receipt = log.append(_entry(10))
        assert receipt.index == 10
        assert [log.entry(i) for i in range(11)] == [_entry(i) for i in range(11)]
        checkpoint = verify_checkpoint(receipt.checkpoint, keys.trusted())
        assert verify_consistency(10, 11, log.consistency_proof(10), root, checkpoint.root)


@pytest.mark.parametrize(
    ("name", "offset"), [("hashes", 6 * 32), ("entries", -3), ("hashes", 4 * 32)]
)
def test_files_that_contradict_the_signed_checkpoint_are_refused(
    tmp_path: Path, keys: KeyStore, name: str, offset: int
) -> None:
    with Ledger(tmp_path / "log", keys.signer, "test/log") as log:
        for i in range(4):
            log.append(_entry(i))
    path = tmp_path / "log" / name
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x40  # the root node, the last entry, the last leaf hash
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerError, match="inconsistent"):
        Ledger(tmp_path / "log", keys.signer, "test/log")


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from bench_common.evidence import KeyStore, Ledger
    directory = Path(sys.argv[1])
    keys = KeyStore.open(directory / "keys", "ledger-key")
    with Ledger(directory / "log", keys.signer, "test/log", fsync=False) as log:
        while True:
            n = log.size
            log.append(b'{"n":%d,"v":1}' % n)
            print(n, flush=True)
    """
)


def test_sigkill_in_mid_append_leaves_a_log_that_reopens_and_keeps_appending(
    tmp_path: Path, keys: KeyStore
) -> None:
    rng = random.Random(11)
    for _ in range(5):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout is not None
        acknowledged = -1
        while acknowledged < 50:
            acknowledged = int(writer.stdout.readline())
        time.sleep(rng.uniform(0, 0.05))
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        with Ledger(tmp_path / "log", keys.signer, "test/log") as log:
            size = log.size
            assert size > acknowledged
            assert [log.entry(i) for i in range(size)] == [_entry(i) for i in range(size)]
            receipt = log.append(_entry(size))
            assert receipt.index == size
            checkpoint = verify_checkpoint(receipt.checkpoint, TrustedKeys(list(keys.entries)))
            assert verify_inclusion(
                hash_leaf(_entry(0)), 0, size + 1, log.inclusion_proof(0), checkpoint.root
            )
