"""Merkle trees: published roots and proof probes, and a property test of our own proofs."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bench_common.evidence import merkle_root, verify_consistency, verify_inclusion
from bench_common.evidence._internal.merkle import (
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    root_of,
)


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value is not None else b""


def _probes(vectors: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    files = sorted((vectors / "merkle" / kind).glob("*.json"))
    assert len(files) > 40
    return [(f.name, json.loads(f.read_text())) for f in files]


def test_roots_match_the_published_values(vectors: Path) -> None:
    data = json.loads((vectors / "merkle" / "roots.json").read_text())
    leaves = [bytes.fromhex(x) for x in data["leaf_inputs_hex"]]
    for size, expected in enumerate(data["root_by_tree_size_hex"]):
        assert merkle_root(leaves[:size]).hex() == expected, size


def test_inclusion_probes_accepted_exactly_when_valid(vectors: Path) -> None:
    outcomes = {}
    for name, v in _probes(vectors, "inclusion"):
        proof = [_b64(h) for h in v["proof"] or []]
        ok = verify_inclusion(
            _b64(v["leafHash"]), v["leafIdx"], v["treeSize"], proof, _b64(v["root"])
        )
        outcomes[name] = ok
        assert ok is (not v["wantErr"]), name
    assert sum(outcomes.values()) == 3


def test_consistency_probes_accepted_exactly_when_valid(vectors: Path) -> None:
    accepted = 0
    for name, v in _probes(vectors, "consistency"):
        proof = [_b64(h) for h in v["proof"] or []]
        ok = verify_consistency(v["size1"], v["size2"], proof, _b64(v["root1"]), _b64(v["root2"]))
        assert ok is (not v["wantErr"]), name
        accepted += ok
    assert accepted == 3


def test_malformed_inputs_return_false_never_raise() -> None:
    tree = MemoryTree.from_leaves([b"a", b"b", b"c"])
    root, leaf = tree.root(), tree.levels[0][0]
    proof = inclusion_proof(tree, 0, 3)
    assert verify_inclusion(leaf, 0, 3, proof, root)
    for args in [
        (leaf[:31], 0, 3, proof, root), (leaf, -1, 3, proof, root), (leaf, 3, 3, proof, root),
        (leaf, 0, 0, proof, root), (leaf, 0, 3, [*proof, b"x"], root), (leaf, 0, 3, proof, b""),
        ("text", 0, 3, proof, root), (leaf, "0", 3, proof, root), (leaf, 0, 3, "proof", root),
    ]:  # fmt: skip
        assert verify_inclusion(*args) is False  # type: ignore[arg-type]
    assert verify_consistency(0, 3, [], merkle_root([]), root) is False
    assert verify_consistency(3, 2, [], root, root) is False
    assert verify_consistency(3, 3, [root], root, root) is False
    assert verify_consistency(3, 3, [], root, root) is True


def _flips(data: bytes) -> list[bytes]:
    return [
        data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]
        for i in range(len(data))
        for bit in range(8)
    ]


def _int_flips(value: int) -> list[int]:
    return [value ^ (1 << bit) for bit in range(max(value.bit_length(), 1) + 1)]


def _same_shape(index: int, size: int, other: int) -> bool:
    """Whether tree sizes ``size`` and ``other`` give ``index`` the same proof computation.

    RFC 9162 verification does not bind the tree size: for exactly these pairs the same proof
    leads to the same root, so a size is authenticated by the signed checkpoint carrying it
    (report verification checks ``tree_size`` against it).
    """
    if not 0 <= index < other:
        return False
    inner = (index ^ (size - 1)).bit_length()
    return inner == (index ^ (other - 1)).bit_length()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 1000), st.data())
def test_every_inclusion_proof_verifies_and_every_bit_flip_fails(
    size: int, data: st.DataObject
) -> None:
    tree = MemoryTree.from_leaves([i.to_bytes(4, "big") for i in range(size)])
    index = data.draw(st.integers(0, size - 1))
    root, leaf = root_of(tree, size), tree.levels[0][index]
    proof = inclusion_proof(tree, index, size)
    assert verify_inclusion(leaf, index, size, proof, root)
    for k, node in enumerate(proof):
        for flipped in _flips(node):
            assert not verify_inclusion(
                leaf, index, size, [*proof[:k], flipped, *proof[k + 1 :]], root
            )
    for flipped in _flips(root):
        assert not verify_inclusion(leaf, index, size, proof, flipped)
    for other in _int_flips(index):
        assert not verify_inclusion(leaf, other, size, proof, root), other
    for other in _int_flips(size):
        accepted = verify_inclusion(leaf, index, other, proof, root)
        assert accepted is _same_shape(index, size, other), other


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 1000), st.data())
def test_every_consistency_proof_verifies_and_every_bit_flip_fails(
    size2: int, data: st.DataObject
) -> None:
    tree = MemoryTree.from_leaves([i.to_bytes(4, "big") for i in range(size2)])
    size1 = data.draw(st.integers(1, size2 - 1))
    root1, root2 = root_of(tree, size1), root_of(tree, size2)
    proof = consistency_proof(tree, size1, size2)
    assert verify_consistency(size1, size2, proof, root1, root2)
    for k, node in enumerate(proof):
        for flipped in _flips(node):
            assert not verify_consistency(
                size1, size2, [*proof[:k], flipped, *proof[k + 1 :]], root1, root2
            )
    for flipped in _flips(root1):
        assert not verify_consistency(size1, size2, proof, flipped, root2)
    for flipped in _flips(root2):
        assert not verify_consistency(size1, size2, proof, root1, flipped)
    for other in _int_flips(size1):
        assert not verify_consistency(other, size2, proof, root1, root2), other
    for other in _int_flips(size2):
        accepted = verify_consistency(size1, other, proof, root1, root2)
        assert accepted is _same_shape(size1 - 1, size2, other), other
