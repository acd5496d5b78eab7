"""RFC 9162 Merkle trees: roots, inclusion and consistency proofs (generation and verification).

Proof generation works over any ``NodeSource``: a source answers the hash of a perfect,
aligned subtree, which lets the file-backed ledger serve proofs in O(log n) reads while
bundles use an in-memory tree. Verification follows transparency-dev/merkle's ``proof``
package, whose test vectors the test suite replays.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def hash_leaf(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class NodeSource(Protocol):
    def perfect(self, level: int, index: int) -> bytes:
        """Hash of the perfect subtree over leaves [index·2^level, (index+1)·2^level)."""
        ...


def subtree_hash(source: NodeSource, start: int, end: int) -> bytes:
    """MTH of leaves [start, end); ``start`` is aligned as RFC 9162's recursion guarantees."""
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        return source.perfect(level, start >> level)
    k = _split(n)
    return hash_children(
        subtree_hash(source, start, start + k), subtree_hash(source, start + k, end)
    )


def root_of(source: NodeSource, size: int) -> bytes:
    return EMPTY_ROOT if size == 0 else subtree_hash(source, 0, size)


def inclusion_proof(source: NodeSource, index: int, size: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[size]), lowest level first."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} outside a tree of size {size}")
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            proof.append(subtree_hash(source, start + k, end))
            end = start + k
        else:
            proof.append(subtree_hash(source, start, start + k))
            start += k
    proof.reverse()
    return proof


def consistency_proof(source: NodeSource, first: int, second: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(first, D[second]) for 0 < first <= second."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    proof: list[bytes] = []
    start, end, m, complete = 0, second, first, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            proof.append(subtree_hash(source, start + k, end))
            end = start + k
        else:
            proof.append(subtree_hash(source, start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        proof.append(subtree_hash(source, start, end))
    proof.reverse()
    return proof


class MemoryTree:
    """A ``NodeSource`` over leaf hashes held in memory, levels built on demand."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.levels: list[list[bytes]] = [list(leaf_hashes)]

    @classmethod
    def from_leaves(cls, leaves: Sequence[bytes]) -> MemoryTree:
        return cls([hash_leaf(leaf) for leaf in leaves])

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def perfect(self, level: int, index: int) -> bytes:
        while len(self.levels) <= level:
            below = self.levels[-1]
            self.levels.append(
                [hash_children(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )
        return self.levels[level][index]

    def root(self) -> bytes:
        return root_of(self, self.size)


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH over leaf inputs (hashed with the 0x00 prefix here)."""
    return MemoryTree.from_leaves(leaves).root()


def _valid_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _valid_proof(proof: object) -> bool:
    return isinstance(proof, list | tuple) and all(_valid_hash(h) for h in proof)


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = hash_children(seed, h) if (index >> i) & 1 == 0 else hash_children(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1:
            seed = hash_children(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = hash_children(h, seed)
    return seed


def _decompose(index: int, size: int) -> tuple[int, int]:
    """Split an inclusion proof's length into its inner part and its right border."""
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner, border


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2; False (never an exception) for any wrong or malformed input."""
    proof = [] if proof is None else proof
    if not (_valid_hash(leaf_hash) and _valid_hash(root) and _valid_proof(proof)):
        return False
    if not (isinstance(index, int) and isinstance(tree_size, int) and 0 <= index < tree_size):
        return False
    inner, border = _decompose(index, tree_size)
    if len(proof) != inner + border:
        return False
    computed = _chain_border_right(_chain_inner(leaf_hash, proof[:inner], index), proof[inner:])
    return computed == root


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> bool:
    """RFC 9162 §2.1.4.2; a proof from size 0 is refused; False for anything malformed."""
    proof = [] if proof is None else proof
    if not (_valid_hash(root1) and _valid_hash(root2) and _valid_proof(proof)):
        return False
    if not (isinstance(size1, int) and isinstance(size2, int) and 0 < size1 <= size2):
        return False
    if size1 == size2:
        return len(proof) == 0 and root1 == root2
    if not proof:
        return False
    inner, border = _decompose(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    seed, rest = (root1, list(proof)) if size1 == 1 << shift else (proof[0], list(proof[1:]))
    if len(rest) != inner + border:
        return False
    mask = (size1 - 1) >> shift
    hash1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    hash2 = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    return hash1 == root1 and hash2 == root2
