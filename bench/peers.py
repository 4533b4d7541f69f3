"""The peers: each turns a :class:`~bench.problems.Problem` into a zero-argument callable that
computes every gradient (and a converter of its result to NumPy arrays for the agreement
check). Optional frameworks are imported lazily; a missing one is reported, not fatal.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

import numpy as np

import matcalc as mc
from bench.problems import Problem

Runner = tuple[Callable[[], Any], Callable[[Any], list[np.ndarray]]]


def _as_list(out: Any) -> list[np.ndarray]:
    return [np.asarray(o, dtype=float) for o in out]


def numpy_peer(p: Problem) -> Runner:
    """The hand-written NumPy gradient (the yardstick)."""
    return (lambda: p.numpy_grad(**p.data)), _as_list


def matcalc_peer(p: Problem, info: dict) -> Runner:
    """mc.grad then mc.compile; records derive and cold compile times in ``info``."""
    t0 = time.perf_counter()
    grads = mc.grad(p.loss, p.wrt)
    t1 = time.perf_counter()
    info["cold"] = _clear_compile_cache()  # a cold compile: the cache makes a second one free
    t2 = time.perf_counter()
    f = mc.compile(grads, args=p.args)
    t3 = time.perf_counter()
    info.update(derive_s=t1 - t0, compile_s=t3 - t2, source=f.source)
    info["forward"] = mc.compile(p.loss, args=p.args)
    data = p.data
    return (lambda: f(**data)), _as_list


def _clear_compile_cache() -> bool:
    """Empty ``mc.compile``'s cache; False where it cannot be found. The cache is private:
    it is looked up beside ``mc.compile`` in whichever module defines it, so the benchmark
    follows the package's restructuring instead of importing a module path."""
    cache = getattr(sys.modules.get(mc.compile.__module__), "_CACHE", None)
    if cache is None:
        return False
    cache.clear()
    return True


def jax_peer(p: Problem) -> Runner:
    """``jax.jit(jax.grad(loss))`` on CPU in float64, after a warm-up call."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    ops = SimpleNamespace(relu=lambda z: jnp.maximum(z, 0), softplus=lambda z: jnp.logaddexp(0, z))
    params = tuple(jnp.asarray(p.data[k]) for k in p.param_names)
    data = tuple(jnp.asarray(p.data[k]) for k in p.data_names)
    g = jax.jit(jax.grad(lambda ps, ds: p.generic_loss(ops, ps, ds)))
    call = lambda: jax.block_until_ready(g(params, data))  # noqa: E731
    call()  # compile
    return call, _as_list


def torch_peer(p: Problem) -> Runner:
    """PyTorch eager autograd on CPU in float64: forward, then ``torch.autograd.grad``."""
    import torch

    ops = SimpleNamespace(relu=torch.relu, softplus=torch.nn.functional.softplus)
    params = [torch.tensor(np.asarray(p.data[k]), requires_grad=True) for k in p.param_names]
    data = [torch.from_numpy(np.asarray(p.data[k])) for k in p.data_names]

    def call() -> Any:
        return torch.autograd.grad(p.generic_loss(ops, params, data), params)

    return call, lambda out: [o.detach().numpy() for o in out]


def autograd_peer(p: Problem) -> Runner:
    """HIPS autograd (reverse mode by tracing NumPy calls)."""
    import autograd
    import autograd.numpy as anp

    ops = SimpleNamespace(relu=lambda z: anp.maximum(z, 0), softplus=lambda z: anp.logaddexp(0, z))
    params = tuple(np.asarray(p.data[k]) for k in p.param_names)
    data = tuple(np.asarray(p.data[k]) for k in p.data_names)
    g = autograd.grad(lambda ps, ds: p.generic_loss(ops, ps, ds))
    return (lambda: g(params, data)), _as_list


OPTIONAL = {"jax": jax_peer, "torch": torch_peer, "autograd": autograd_peer}


def available(names: Iterable[str] = tuple(OPTIONAL)) -> dict[str, str | None]:
    """Each optional peer's import error (None when it can be used)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            __import__(name)
            out[name] = None
        except Exception as err:  # noqa: BLE001 - any import failure means "skip"
            out[name] = f"{type(err).__name__}: {err}"
    return out
