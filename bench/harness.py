"""What the compiled-code benchmarks share: the machine's configuration, interleaved timing,
peak memory, the agreement check, thread limits and table cells.

Entry points import :mod:`bench.pinning` before this module (it imports NumPy).
"""

from __future__ import annotations

import gc
import math
import os
import platform
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from bench import pinning


def config_lines(avail: dict[str, str | None]) -> list[str]:
    """What the numbers depend on: versions, BLAS, thread counts and the CPU pinning."""
    lines = [f"python {platform.python_version()} on {platform.machine()}, "
             f"{os.cpu_count()} logical CPUs; numpy {np.__version__}"]
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            lines.append(f"  {pool.get('user_api')}: {pool.get('internal_api')} "
                         f"{pool.get('version')}, {pool.get('num_threads')} threads "
                         f"({os.path.basename(pool.get('filepath', ''))})")
    except ImportError:
        cfg = np.show_config(mode="dicts")  # numpy >= 1.25
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        lines.append(f"  BLAS: {blas.get('name')} {blas.get('version')} (threadpoolctl absent)")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY"):
        if os.environ.get(var):
            lines.append(f"  {var}={os.environ[var]}")
    for name, err in avail.items():
        if err is not None:
            lines.append(f"  {name}: not installed, column skipped ({err})")
            continue
        mod = __import__(name)
        extra = ""
        if name == "torch":
            extra = f", {mod.get_num_threads()} intra-op threads"
        if name == "jax":
            extra = (f", devices {[str(d) for d in mod.devices()]}, x64, "
                     f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '').strip() or '(unset)'}")
        try:
            from importlib.metadata import version

            ver = version(name)
        except Exception:  # noqa: BLE001 - a version is nice to have, not needed
            ver = getattr(mod, "__version__", "?")
        lines.append(f"  {name} {ver}{extra}")
    lines += pinning.check_lines(avail)
    lines.append(f"  {load_line()}")
    return lines


def load_line() -> str:
    """The machine's load: other jobs on the shared cores slow every peer (ratios hold)."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def measure(calls: dict[str, Callable[[], Any]], budget: float, min_rounds: int = 15,
            max_rounds: int = 300, slow_s: float = math.inf, slow_rounds: int = 3,
            warm: bool = True) -> dict[str, list[float]]:
    """Seconds per call, one sample per round; calls are interleaved round by round so the
    machine's drift hits every peer alike (ratios are then taken round by round).

    A call whose probe takes longer than ``slow_s`` is sampled in the first ``slow_rounds``
    rounds only (so one very slow peer cannot stretch a row to minutes; its ratios are then
    paired over those rounds). ``warm=False`` skips the untimed warm-up call, for callers
    that have already called every peer once.
    """
    inner = {}
    for name, call in calls.items():
        if warm:
            call()
        t = time.perf_counter()
        call()
        once = max(time.perf_counter() - t, 1e-7)
        inner[name] = max(1, int(5e-3 / once))  # a sample lasts >= ~5 ms
        if once > slow_s:
            inner[name] = -1  # marks a slow call
    samples: dict[str, list[float]] = {k: [] for k in calls}
    deadline = time.perf_counter() + budget
    rounds = 0
    order = list(calls)
    shuffle = random.Random(0).shuffle
    while rounds < min_rounds or (time.perf_counter() < deadline and rounds < max_rounds):
        # a fresh order each round: whoever runs right after a peer that freed big arrays
        # finds warm memory, and a fixed order would hand that advantage to one peer
        shuffle(order)
        for name in order:
            call = calls[name]
            k = inner[name]
            if k < 0:
                if rounds >= slow_rounds:
                    continue
                k = 1
            t = time.perf_counter()
            for _ in range(k):
                call()
            samples[name].append((time.perf_counter() - t) / k)
        rounds += 1
    return samples


def peak_bytes(call: Callable[[], Any]) -> int:
    """Peak bytes allocated (NumPy arrays included) during one call, output included."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    out = call()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del out
    return peak


def agree(ref: list[np.ndarray], got: list[np.ndarray]) -> bool:
    """Every array in ``got`` equals its counterpart in ``ref`` (rtol 1e-6)."""
    if len(ref) != len(got):
        return False
    for a, b in zip(ref, got):
        b = np.asarray(b).reshape(np.shape(a))
        scale = max(1.0, float(np.max(np.abs(a))))
        if not np.allclose(b, a, rtol=1e-6, atol=1e-9 * scale):
            return False
    return True


def fmt_t(s: float | None) -> str:
    """Seconds as milliseconds, three significant digits (two below 1 ms)."""
    if s is None:
        return "—"
    if s >= 1:
        return f"{s * 1e3:.0f}"  # not 1.6e+03
    return f"{s * 1e3:.3g}" if s >= 1e-3 else f"{s * 1e3:.2g}"


def verdict(ok: bool) -> str:
    """The targets' first column."""
    return "met   " if ok else "MISSED"


def limit_threads(n: int) -> Any:
    """Give every peer the same thread count (NumPy's BLAS, torch, XLA)."""
    if n <= 0:
        return None
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen="
                               f"{'true' if n > 1 else 'false'} intra_op_parallelism_threads={n}")
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("threadpoolctl missing: NumPy's BLAS keeps its default threads", file=sys.stderr)
        return None
    return threadpool_limits(limits=n)
