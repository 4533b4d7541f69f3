"""Derivations grow with the problem, not faster (issue 9, item 2).

The derivation of an L-layer network names each layer and each backpropagated factor once
(``G_t₂ = ∂f/∂t₂ = …``, as the seed 001 answer names R, S, D, V) and later steps use the
names: O(L) lines, each of bounded width, in text and in LaTeX. Before, each step re-wrote
the whole nested differential: at L = 24 the text was 168 lines of up to 622 characters
(tanh) and 219 of up to 992 (relu with biases), the LaTeX 1897 and 3650 rows.
"""

from __future__ import annotations

import numpy as np
import pytest

import matcalc as mc
from matcalc.check.numeric import evaluate, random_point

DEPTHS = (2, 4, 8, 16, 24)


def mlp(layers: int, act: str) -> tuple[mc.Expr, list[mc.Expr]]:
    """‖act(W_L ⋯ act(W_1 X + b_1 1ᵀ) ⋯) − Y‖² / B (biases with relu, as the seeds have)."""
    n, batch = mc.dims("n B")
    X, Y = mc.matrix("X", n, batch), mc.matrix("Y", n, batch)
    h, wrt = X, []
    for i in range(1, layers + 1):
        W = mc.matrix(f"W{i}", n, n)
        wrt.append(W)
        z = W @ h
        if act == "relu":
            b = mc.vector(f"b{i}", n)
            wrt.append(b)
            z = z + b
        h = getattr(mc, act)(z)
    return mc.norm(h - Y) ** 2 / batch, wrt


@pytest.fixture(scope="module", params=["tanh", "relu"])
def sizes(request: pytest.FixtureRequest) -> dict[int, tuple[int, int, int, int]]:
    """L → (text lines, widest text line, LaTeX rows, widest LaTeX row)."""
    out = {}
    for layers in DEPTHS:
        d = mc.derive(*mlp(layers, request.param))
        text, tex = str(d).splitlines(), d.latex().splitlines()
        out[layers] = (len(text), max(map(len, text)), len(tex), max(map(len, tex)))
    return out


def test_lines_grow_linearly_with_depth(sizes: dict[int, tuple[int, int, int, int]]) -> None:
    for layers, (lines, _, rows, _) in sizes.items():
        assert lines <= 14 * layers + 10, (layers, lines)
        assert rows <= 21 * layers + 20, (layers, rows)
    # each further layer adds the same number of lines
    per_layer = {(sizes[b][0] - sizes[a][0]) / (b - a) for a, b in [(8, 16), (16, 24)]}
    assert len(per_layer) == 1, sizes


def test_line_width_is_bounded(sizes: dict[int, tuple[int, int, int, int]]) -> None:
    widths = {layers: (w, wt) for layers, (_, w, _, wt) in sizes.items()}
    assert all(w <= 110 and wt <= 180 for w, wt in widths.values()), widths
    # from 8 layers on, wider only by a name's second digit (t₈ → t₂₄, t_{8} → t_{24})
    assert all(widths[24][k] - widths[8][k] <= 4 for k in (0, 1)), widths


def test_named_factors_give_the_gradients() -> None:
    """Evaluating the factors in order (each G_z from those before) and then the printed
    gradients gives the gradients derive returns."""
    f, wrt = mlp(4, "relu")
    d = mc.derive(f, wrt)
    dims = {"n": 3, "B": 4}
    values = {s.name: v for s, v in random_point([f], dims, rng=3).items()}
    factors = [s for s in d.steps if s.kind == "factor"]
    assert len(factors) == 8  # each layer's activation and pre-activation
    for s in factors:
        values[s.rhs.name] = evaluate(s.rhs.expr, values, dims)
    printed = {s.lhs: s.rhs for s in d.steps if s.kind == "gradient"}
    for x in wrt:
        assert np.allclose(evaluate(printed[x], values, dims),
                           evaluate(d.gradients[x], values, dims)), x
        assert d.gradients[x] == mc.grad(f, x)
    text = str(d)
    assert "G_t₂ = ∂f/∂t₂ = " in text and "∂f/∂W4 = G_t₂ t₃ᵀ" in text


def test_generated_names_avoid_the_users() -> None:
    """A user's t1, G_u1: the layers take another letter (u), the factors another (D)."""
    n = mc.dim("n")
    X, t1, G = mc.matrix("X", n, n), mc.matrix("t1", n, n), mc.matrix("G_u1", n, n)
    h = X
    Ws = [mc.matrix(f"W{i}", n, n) for i in range(3)]
    for W in Ws:
        h = mc.tanh(W @ h + t1)
    d = mc.derive(mc.norm(h - G) ** 2, Ws)
    text = str(d)
    assert "u₁ = tanh(u₂)" in text and "D_u₁ = ∂f/∂u₁ = 2 (u₁ - G_u1)" in text
    assert "(𝟏 𝟏ᵀ - u₁∘²)" in text  # tanh′ in the layer's own name
    assert " t₁" not in text and "G_u₁" not in text
