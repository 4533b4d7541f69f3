"""Pin the benchmark process to one CPU, before NumPy, JAX or PyTorch start their threads.

Import this module first in every benchmark entry point (before ``numpy``, ``jax`` or
``torch``). Thread-count settings alone do not make the peers equal: jax 0.10.2 ignores the
``XLA_FLAGS`` thread limits, so its column used both cores of the shared machine while every
other peer used one. On Linux ``sched_setaffinity(0, ...)`` sets the mask of the calling
thread, and threads created afterwards inherit it; at import time the interpreter has one
thread, so every BLAS, XLA and intra-op thread that a framework starts later is confined to
the same CPU. :func:`check_lines` measures that it worked (CPU time over wall time ≈ 1).

``BENCH_CPU=k`` chooses the CPU (default: the highest-numbered one this process may use);
``BENCH_CPU=off`` leaves the affinity alone. ``OMP_WAIT_POLICY=PASSIVE`` is set here too, for
the same reason (it must precede the frameworks' imports): idle OpenMP threads of one
framework (torch, XLA) would otherwise spin while the next peer runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any


def _pin() -> tuple[int | None, str]:
    """Pin to one CPU; the CPU (None if not pinned) and a line saying what was done."""
    choice = os.environ.get("BENCH_CPU", "").strip().lower()
    if choice == "off":
        return None, "not pinned (BENCH_CPU=off)"
    if not hasattr(os, "sched_setaffinity"):
        return None, "not pinned (no os.sched_setaffinity on this platform)"
    allowed = sorted(os.sched_getaffinity(0))
    cpu = int(choice) if choice else allowed[-1]
    os.sched_setaffinity(0, {cpu})
    return cpu, f"pinned to CPU {cpu} of {allowed} (os.sched_setaffinity before any import)"


CPU, STATUS = _pin()
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _threads_off_cpu() -> tuple[int, int]:
    """(threads of this process, how many of them may run on another CPU than ``CPU``)."""
    total = off = 0
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return 0, 0
    for tid in tids:
        try:
            allowed = os.sched_getaffinity(int(tid))
        except OSError:  # the thread ended meanwhile
            continue
        total += 1
        off += allowed != {CPU}
    return total, off


def cpu_per_wall(call: Callable[[], Any], seconds: float = 0.3) -> float:
    """Process CPU time over wall time while ``call`` runs repeatedly: ≈1 on one CPU, up to
    the number of cores when a library spreads its work over several."""
    call()  # warm-up (a jit compiles here)
    cpu, wall = time.process_time(), time.perf_counter()
    while time.perf_counter() - wall < seconds:
        call()
    return (time.process_time() - cpu) / (time.perf_counter() - wall)


def check_lines(avail: dict[str, str | None]) -> list[str]:
    """The pinning status and the measured CPU/wall ratio of a big matrix product in NumPy
    (and in jitted JAX and PyTorch where installed): at most 1.0 when one core is used,
    below 1 while other jobs share that core, above 1 when a library uses several."""
    import numpy as np

    a = np.random.default_rng(0).standard_normal((600, 600))
    parts = [f"numpy matmul {cpu_per_wall(lambda: a @ a):.2f}"]
    if avail.get("jax") is None:
        import jax
        import jax.numpy as jnp

        ja = jnp.asarray(a)
        dot = jax.jit(lambda x: x @ x)
        parts.append(f"jax jit dot {cpu_per_wall(lambda: dot(ja).block_until_ready()):.2f}")
    if avail.get("torch") is None:
        import torch

        ta = torch.from_numpy(a)
        parts.append(f"torch matmul {cpu_per_wall(lambda: ta @ ta):.2f}")
    total, off = _threads_off_cpu()
    threads = (f"; {total} threads, {off} of them allowed elsewhere" if CPU is not None
               and total else "")
    return [f"  {STATUS}{threads}",
            "  CPU time / wall time (one core: <= 1.00, below 1 while other jobs share the "
            "CPU; > 1: several cores): " + ", ".join(parts)]
