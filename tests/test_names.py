"""Shared factors named once (matcalc.printing.names): counting, clashes, linear size."""

from __future__ import annotations

import pytest

import matcalc as mc
from matcalc.printing.names import expand_lets, share

n = mc.dim("n")
x = mc.vector("x", n)


def _printed(named) -> str:
    return "\n".join([*(str(e) for e in named.exprs),
                      *(f"{z.name} = {z.expr}" for z in named.where())])


def test_a_depth_L_chain_prints_in_linear_size() -> None:
    sizes = {}
    for depth in (10, 20, 40):
        e = x
        for _ in range(depth):
            e = mc.tanh(e)
        g = mc.grad(mc.sum(e), x)
        named = share([g])
        sizes[depth] = len(_printed(named))
        assert len(str(g)) > 2 * sizes[depth] or depth == 10
        assert expand_lets(named.exprs[0]) == g  # the names stand for exactly the gradient
    # doubling the depth doubles the size (plus a little), not quadruples it
    assert sizes[40] < 2.2 * sizes[20] < 2.2 ** 2 * sizes[10]


def test_generated_names_never_look_like_the_users() -> None:
    t1, t = mc.vector("t1", n), mc.vector("t", n)
    f = mc.sum(mc.exp(t1 + t) * mc.exp(t1 + t) * (t1 + t))
    named = share([mc.grad(f, t1)])
    assert named.generated and all(not z.name.startswith("t") for z in named.generated)


def test_short_factors_and_whole_results_keep_their_form() -> None:
    A = mc.matrix("A", n, n)
    g = mc.grad(x.T @ A @ x, x)  # (Aᵀ + A) x: nothing worth a name
    assert share([g, g]).exprs == [g, g] and not share([g, g]).lets


def test_user_names_come_first_and_options() -> None:
    X, w, b, y = mc.matrix("X", n, n), x, mc.scalar("b"), mc.vector("y", n)
    z = mc.let("z", X @ w + b)
    f = mc.norm(mc.relu(z) - y) ** 2
    gs = mc.grad(f, [w, X])
    auto = share(gs)
    assert [l.name for l in auto.where()][0] == "z"
    assert share(gs, "lets").lets == [z] and share(gs, "lets").exprs == gs
    none = share(gs, "none")
    assert not none.lets and "z" not in str(none.exprs[0])
    with pytest.raises(ValueError, match="names='all'"):
        share(gs, "all")
    with pytest.raises(ValueError, match="names='all'"):
        mc.derive(f, w, names="all")


def test_float_exponents_print_as_fractions() -> None:
    assert str(x ** (1 / 3)) == "x∘(1/3)"
    assert str(mc.grad(mc.sum(x ** (1 / 3)), x)) == "1/3 x∘(-2/3)"
