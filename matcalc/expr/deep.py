"""Any depth: the primitive walks without recursion, and one runner for the recursive rules.

The rule tables (differentials, printers, lowering, SymPy, ...) recurse over the tree, a
few Python frames per level. Python stops at ``sys.getrecursionlimit()`` (1000 by default),
and raising that limit alone is not safe: the main thread's C stack (8 MiB) then overflows,
which kills the process. So matcalc does two things:

- the walks every rule relies on (free symbols, differentials, structural equality and
  ``replace``) are loops (here and in :mod:`matcalc.expr.nodes`);
- the public entry points are wrapped in :func:`deep`. Every node knows its depth (the
  height of its tree, computed in O(1) at construction). Up to :data:`SHALLOW` levels the
  call runs as is; deeper, it runs in a worker thread with a :data:`STACK_BYTES` C stack
  and a recursion limit to match; past :data:`MAX_DEPTH` levels it is refused with a
  :class:`~matcalc.expr.errors.DepthError` that says so, never a ``RecursionError``.

May import: :mod:`matcalc.expr.errors` only (the node module imports this one).
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .errors import DepthError

__all__ = ["deep", "depth_of", "collect", "same_tree", "SHALLOW", "MAX_DEPTH", "STACK_BYTES"]

# Deeper expressions than this go to the worker thread. Rules may build results several
# times deeper than their input (a derivative of a chain), at a few frames a level, so the
# margin under the default limit of 1000 frames is wide; a RecursionError on the direct
# path is retried in the worker all the same.
SHALLOW = 60
# The deepest expression the public functions accept (the documented limit).
MAX_DEPTH = 25_000
# Python frames allowed per level of depth (measured: the deepest rule chains, lowering
# and the SymPy bridge, use under 10 frames a level), and the C stack for them.
FRAMES_PER_LEVEL = 40
STACK_BYTES = 1 << 30  # 1 GiB of address space; only the pages touched are used

F = TypeVar("F", bound=Callable[..., Any])

_state = threading.local()
_lock = threading.Lock()
_running = 0  # workers running: the raised recursion limit stays until the last one ends
_saved_limit = 0


def depth_of(obj: Any) -> int:
    """The depth of the deepest expression in ``obj`` (an expression, or a list, tuple, set
    or dict of them, or an object with ``__matcalc_depth__``); 0 when there is none."""
    d = getattr(obj, "_depth", None)
    if isinstance(d, int):
        return d
    if isinstance(obj, dict):
        return max(max(map(depth_of, obj.keys()), default=0),
                   max(map(depth_of, obj.values()), default=0))
    if isinstance(obj, (list, tuple, set, frozenset)):
        return max(map(depth_of, obj), default=0)
    hook = getattr(obj, "__matcalc_depth__", None)
    return hook() if callable(hook) else 0


def _too_deep(what: str, depth: int) -> DepthError:
    return DepthError(
        f"{what}: the expression is nested {depth} levels deep; matcalc works to "
        f"{MAX_DEPTH} levels (matcalc.expr.deep.MAX_DEPTH). Name intermediate results with "
        "mc.let to break a long chain"
    )


def _enter(limit: int) -> None:
    global _running, _saved_limit
    with _lock:
        if _running == 0:
            _saved_limit = sys.getrecursionlimit()
        _running += 1
        sys.setrecursionlimit(max(sys.getrecursionlimit(), limit))


def _leave() -> None:
    global _running
    with _lock:
        _running -= 1
        if _running == 0:
            sys.setrecursionlimit(_saved_limit)


def _in_worker(what: str, depth: int, fn: Callable[..., Any], args: tuple, kw: dict) -> Any:
    """``fn(*args, **kw)`` on a thread with a large C stack and recursion limit."""
    out: dict[str, Any] = {}

    def target() -> None:
        _state.active = True
        try:
            out["value"] = fn(*args, **kw)
        except RecursionError:
            out["error"] = _too_deep(what, depth)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            out["error"] = exc

    _enter(FRAMES_PER_LEVEL * MAX_DEPTH)
    try:
        with _lock:
            old = threading.stack_size(STACK_BYTES)
            try:
                worker = threading.Thread(target=target, name=f"matcalc-deep-{what}")
                worker.start()
            finally:
                threading.stack_size(old)
        worker.join()
    finally:
        _leave()
    if "error" in out:
        raise out["error"]
    return out["value"]


def deep(fn: F) -> F:
    """Make a public entry point work at any depth up to :data:`MAX_DEPTH`.

    Shallow calls (the usual ones) run directly, at the cost of reading one attribute per
    argument. A deeper expression, or a direct call that met the recursion limit anyway,
    runs on the worker thread; calls made from inside the worker run directly.
    """
    what = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args: Any, **kw: Any) -> Any:
        if getattr(_state, "active", False):
            return fn(*args, **kw)
        d = max(depth_of(args), depth_of(kw))
        if d > MAX_DEPTH:
            raise _too_deep(what, d)
        if d <= SHALLOW:
            try:
                return fn(*args, **kw)
            except RecursionError:
                pass  # a result much deeper than its input: retried below, with room
        return _in_worker(what, d, fn, args, kw)

    return wrapper  # type: ignore[return-value]


# ----------------------------------------------------------------------------------------
# The primitive walks, as loops (the node module passes in what a node is)
# ----------------------------------------------------------------------------------------


def collect(e: Any, attr: str, children: Callable[[Any], Iterable[Any]]) -> None:
    """Fill the cached set ``attr`` (``_free`` or ``_deltas``) of ``e`` and of every node
    under it that lacks one, children first; nodes that already know theirs are not
    entered again."""
    stack: list[tuple[Any, bool]] = [(e, False)]
    while stack:
        node, ready = stack.pop()
        if getattr(node, attr) is not None:
            continue
        kids = children(node)
        if ready:
            acc: set[Any] = set()
            for c in kids:
                acc |= getattr(c, attr)
            object.__setattr__(node, attr, frozenset(acc))
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in kids if getattr(c, attr) is None)


def same_tree(a: Any, b: Any, field_names: Callable[[type], tuple[str, ...]],
              node_type: type) -> bool:
    """Structural equality of two nodes, as a loop, remembered.

    Equal trees built separately (rules rebuild nodes all the time) are linked in the
    nodes' union-find (``_rep``), so comparing them again costs O(1), not O(size); a pair
    of shared subtrees is compared once, so a DAG costs its size, not its tree size.
    """
    todo: list[tuple[Any, Any]] = [(a, b)]
    equal: list[tuple[Any, Any]] = []
    seen: set[tuple[int, int]] = set()

    def is_node(v: Any) -> bool:
        return isinstance(v, node_type)

    while todo:
        x, y = todo.pop()
        if x is y or (id(x), id(y)) in seen:
            continue
        if type(x) is not type(y) or x._hash != y._hash:
            return False
        rx, ry = x._root(), y._root()
        if rx is ry:
            continue
        seen.add((id(x), id(y)))
        equal.append((rx, ry))
        for n in field_names(type(x)):
            u, v = getattr(x, n), getattr(y, n)
            if is_node(u) and is_node(v):
                todo.append((u, v))
            elif isinstance(u, tuple) and isinstance(v, tuple) and len(u) == len(v):
                for p, q in zip(u, v):
                    if is_node(p) and is_node(q):
                        todo.append((p, q))
                    elif is_node(p) or is_node(q) or p != q:
                        return False
            elif is_node(u) or is_node(v) or u != v:
                return False
    for rx, ry in equal:
        rx, ry = rx._root(), ry._root()
        if rx is not ry:
            object.__setattr__(ry, "_rep", rx)
    return True
