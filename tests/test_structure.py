"""The nested-structure (tree) utility every public function uses for its arguments."""

from __future__ import annotations

import pytest

import symgrad as sg
from symgrad.structure import Tree, flatten, unflatten


def test_flatten_and_unflatten_round_trip_nested_lists_tuples_and_dicts():
    value = [1, (2, [3, {"b": 4, "a": (5,)}]), {}, (), "leaf"]
    leaves, tree = flatten(value)
    assert leaves == [1, 2, 3, 4, 5, "leaf"]
    assert tree.size == 6
    rebuilt = tree.unflatten(leaves)
    assert rebuilt == value
    assert type(rebuilt[1]) is tuple and type(rebuilt[1][1]) is list
    assert list(rebuilt[1][1][1]) == ["b", "a"]  # dict order kept
    assert unflatten(value, list("abcdef")) == [
        "a",
        ("b", ["c", {"b": "d", "a": ("e",)}]),
        {},
        (),
        "f",
    ]


def test_trees_compare_by_shape_and_print_with_a_star_per_leaf():
    _, a = flatten((1, [2, 3]))
    _, b = flatten(("x", ["y", "z"]))
    _, c = flatten((1, (2, 3)))
    assert a == b and hash(a) == hash(b) and a != c
    assert str(a) == "(*, [*, *])"
    assert str(flatten((1,))[1]) == "(*,)"
    assert str(flatten({"k": 1})[1]) == "{'k': *}"


def test_source_text_builds_the_structure():
    _, tree = flatten({"g": [1, (2,)], "h": 3})
    source = tree.source(["a", "b", "c"])
    assert source == "{'g': [a, (b,)], 'h': c}"
    assert eval(source, {"a": 1, "b": 2, "c": 3}) == {"g": [1, (2,)], "h": 3}
    # Keys are written as ASCII literals, so no key can end the literal early.
    _, tree = flatten({"é'\n": 1})
    assert eval(tree.source(["v"]), {"v": 5}) == {"é'\n": 5}


def test_deep_nesting_needs_no_recursion():
    value: object = 0
    for _ in range(20_000):
        value = [value]
    leaves, tree = flatten(value)
    assert leaves == [0]
    rebuilt = tree.unflatten([7])
    for _ in range(20_000):
        rebuilt = rebuilt[0]
    assert rebuilt == 7


def test_bad_structures_are_named():
    with pytest.raises(TypeError, match="dict keys must be strings"):
        flatten({1: 2})
    with pytest.raises(ValueError, match=r"\(\*, \*\) has 2 leaves, got 3"):
        Tree("tuple", (Tree("*"), Tree("*"))).unflatten([1, 2, 3])


def test_a_loop_state_of_another_structure_is_refused_with_both_structures():
    x = sg.var("x")
    with pytest.raises(TypeError, match=r"structure \[\*\], not \(\*, \*\)"):
        sg.while_loop(lambda s: s[0] < 1, lambda s: [s[0]], (x, x))
