"""RFC 6962 Merkle tree hashes against the Certificate Transparency reference vectors."""

from __future__ import annotations

import hashlib

import pytest

from agent.audit.merkle import Tree, fold, root

# The leaves and roots of the reference implementation's tests (merkle_tree_test.cc).
LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_reference(size: int) -> None:
    leaves = [bytes.fromhex(leaf) for leaf in LEAVES[:size]]
    assert root(leaves).hex() == ROOTS[size - 1]


def test_the_empty_tree() -> None:
    assert root([]) == hashlib.sha256(b"").digest()


def test_a_tree_grown_leaf_by_leaf_has_the_same_roots() -> None:
    tree = Tree()
    for size, leaf in enumerate(LEAVES, start=1):
        tree.push(bytes.fromhex(leaf))
        assert tree.root().hex() == ROOTS[size - 1]
    leaves = [n.to_bytes(2, "big") for n in range(300)]
    grown = Tree()
    for size, leaf in enumerate(leaves, start=1):
        grown.push(leaf)
        if size in {1, 2, 3, 100, 127, 128, 129, 255, 256, 257, 300}:
            assert grown.root() == root(leaves[:size]), size
    assert Tree().root() == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("height", [0, 1, 3, 5])
def test_aligned_slices_grown_apart_join_into_the_same_roots(height: int) -> None:
    """What verify's workers do: each grows the slice [j * 2**height, (j + 1) * 2**height) on
    its own; joined in order, every root matches the tree grown leaf by leaf."""
    leaves = [n.to_bytes(2, "big") for n in range(150)]
    block = 1 << height
    joined = Tree()
    for start in range(0, len(leaves), block):
        part = Tree()
        for offset, leaf in enumerate(leaves[start : start + block], start=1):
            part.push(leaf)
            assert fold(joined.stack + part.stack) == root(leaves[: start + offset])
        if part.size == block:
            joined.push_subtree(part.root(), height)
    assert joined.size == len(leaves) - len(leaves) % block


def test_a_subtree_must_start_on_its_boundary() -> None:
    tree = Tree()
    tree.push(b"a")
    with pytest.raises(ValueError, match="cannot follow 1 leaves"):
        tree.push_subtree(b"\0" * 32, 1)
