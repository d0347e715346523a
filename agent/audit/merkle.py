"""RFC 6962 Merkle tree hashing over the chain's entries, as transparency logs compute it:
the root a signed checkpoint commits to."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = ["Tree", "fold", "leaf_hash", "node_hash", "root"]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the leaves' data (RFC 6962, 2.1).

    Pairing nodes level by level and carrying an odd last node up unchanged builds the same
    tree as the RFC's split at the largest power of two below n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = [leaf_hash(leaf) for leaf in leaves]
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def fold(stack: Sequence[bytes]) -> bytes:
    """The root of a tree given by the roots of its complete subtrees, largest first."""
    if not stack:
        return hashlib.sha256(b"").digest()
    digest = stack[-1]
    for left in reversed(stack[:-1]):
        digest = node_hash(left, digest)
    return digest


class Tree:
    """The tree grown one leaf at a time, keeping only its complete subtrees: the root at any
    size costs a fold over O(log n) of them, so every checkpoint of a long chain is checked
    in one pass.

    A tree grown from an empty one over the leaves ``[a, b)`` of a larger tree, where ``a`` is
    a multiple of ``2**k`` and ``b - a <= 2**k``, holds exactly the larger tree's subtrees in
    that range: so slices aligned this way are grown apart (in parallel) and joined with
    ``push_subtree`` and ``fold``."""

    def __init__(self) -> None:
        self._stack: list[bytes] = []
        """The roots of the complete subtrees, largest first (one per 1-bit of the size)."""
        self.size = 0

    @property
    def stack(self) -> tuple[bytes, ...]:
        return tuple(self._stack)

    def push(self, data: bytes) -> None:
        sha256 = hashlib.sha256
        digest = sha256(b"\x00" + data).digest()
        size = self.size
        while size & 1:  # each trailing 1-bit is a subtree of the same height to merge
            digest = sha256(b"\x01" + self._stack.pop() + digest).digest()
            size >>= 1
        self._stack.append(digest)
        self.size += 1

    def push_subtree(self, digest: bytes, height: int) -> None:
        """Append a complete subtree of ``2**height`` leaves, by its root (the size must be
        a multiple of ``2**height``)."""
        if self.size % (1 << height):
            raise ValueError(f"a subtree of height {height} cannot follow {self.size} leaves")
        size = self.size >> height
        while size & 1:
            digest = node_hash(self._stack.pop(), digest)
            size >>= 1
        self._stack.append(digest)
        self.size += 1 << height

    def root(self) -> bytes:
        return fold(self._stack)
