"""The second-order benchmark's peers: each turns a :class:`~bench.second_order_problems.Task`
into a zero-argument callable and a converter of its result to the hand-written layout.

matcalc is ``mc.compile`` of the task's derivative; ``numpy`` the hand-written one; ``jax``
``jax.jit`` of ``jax.hessian`` / ``jax.jacrev`` / jvp-of-grad / ``jax.jvp`` / ``jax.vjp``;
``torch`` the same transforms from ``torch.func`` (eager). JAX and PyTorch are imported
lazily; a missing one is reported by :func:`available` and its column skipped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

import matcalc as mc
from bench import peers
from bench.second_order_problems import Task, to_vec

Runner = tuple[Callable[[], Any], Callable[[Any], np.ndarray]]
OPTIONAL = ("jax", "torch")


def available() -> dict[str, str | None]:
    """Each optional peer's import error (None when it can be used)."""
    return peers.available(OPTIONAL)


def _converter(t: Task) -> Callable[[Any], np.ndarray]:
    """Framework output → the hand-written layout (vec convention for dense derivatives)."""
    x_shape = np.shape(t.data[t.wrt])

    def conv(out: Any) -> np.ndarray:
        a = np.asarray(out.detach().numpy() if hasattr(out, "detach") else out, dtype=float)
        if t.kind in ("hessian", "jacobian"):
            return to_vec(a, a.shape[: a.ndim - len(x_shape)], x_shape)
        return a

    return conv


def numpy_peer(t: Task) -> Runner:
    """The hand-written NumPy (the yardstick)."""
    data = t.data
    return (lambda: t.numpy(**data)), np.asarray


def matcalc_peer(t: Task, info: dict) -> Runner:
    """Derive, then ``mc.compile``; records the seconds of each and the source in ``info``."""
    t0 = time.perf_counter()
    expr = t.derive()
    t1 = time.perf_counter()
    f = mc.compile(expr, args=t.args)
    t2 = time.perf_counter()
    info.update(derive_s=t1 - t0, compile_s=t2 - t1, source=f.source, expr=str(expr))
    kwargs = {a: t.data[a] for a in f.args}
    return (lambda: f(**kwargs)), np.asarray


def jax_peer(t: Task) -> Runner:
    """``jax.jit`` of the transform, CPU, float64; compiled by a warm-up call (not timed)."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    ops = SimpleNamespace(softplus=jax.nn.softplus, tanh=jnp.tanh, trace=jnp.trace,
                          logdet=lambda X: jnp.linalg.slogdet(X)[1])
    x = jnp.asarray(t.data[t.wrt])
    c = {k: jnp.asarray(v) for k, v in t.consts.items()}
    d = jnp.asarray(t.data[t.direction]) if t.direction else None

    def f(x: Any, c: dict) -> Any:
        return t.fn(ops, x, c)

    if t.kind == "hessian":
        g = jax.jit(jax.hessian(f))
    elif t.kind == "jacobian":
        g = jax.jit(jax.jacrev(f))
    elif t.kind == "hvp":  # forward-over-reverse
        g = jax.jit(lambda x, c, v: jax.jvp(lambda x: jax.grad(f)(x, c), (x,), (v,))[1])
    elif t.kind == "jvp":
        g = jax.jit(lambda x, c, v: jax.jvp(lambda x: f(x, c), (x,), (v,))[1])
    else:  # vjp
        g = jax.jit(lambda x, c, u: jax.vjp(lambda x: f(x, c), x)[1](u)[0])
    args = (x, c) if d is None else (x, c, d)
    call = lambda: jax.block_until_ready(g(*args))  # noqa: E731
    call()  # compile
    return call, _converter(t)


def torch_peer(t: Task) -> Runner:
    """``torch.func`` transforms, eager, CPU, float64."""
    import torch
    from torch import func

    ops = SimpleNamespace(softplus=torch.nn.functional.softplus, tanh=torch.tanh,
                          trace=torch.trace, logdet=torch.logdet)
    x = torch.from_numpy(np.asarray(t.data[t.wrt]))
    c = {k: torch.from_numpy(np.asarray(v)) for k, v in t.consts.items()}
    d = torch.from_numpy(np.asarray(t.data[t.direction])) if t.direction else None

    def f(x: Any) -> Any:
        return t.fn(ops, x, c)

    if t.kind == "hessian":
        h = func.hessian(f)
        call = lambda: h(x)  # noqa: E731
    elif t.kind == "jacobian":
        j = func.jacrev(f)
        call = lambda: j(x)  # noqa: E731
    elif t.kind == "hvp":  # forward-over-reverse
        g = func.grad(f)
        call = lambda: func.jvp(g, (x,), (d,))[1]  # noqa: E731
    elif t.kind == "jvp":
        call = lambda: func.jvp(f, (x,), (d,))[1]  # noqa: E731
    else:  # vjp
        call = lambda: func.vjp(f, x)[1](d)[0]  # noqa: E731
    return call, _converter(t)


PEERS: dict[str, Callable[[Task], Runner]] = {"jax": jax_peer, "torch": torch_peer}
