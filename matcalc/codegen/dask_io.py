"""Out-of-core input for array-API compiled functions: a ``.npy`` file as a Dask array.

``from_npy(path, rows)`` reads the file in blocks of ``rows`` rows, each block in its own
task that maps the file, copies its rows and unmaps it, so a worker holds one block at a
time however large the file is (a NumPy memmap handed to Dask whole would be pickled with
its data, or keep every page it touched mapped). ``log``, a file path, records each block
read (its first row, one line per read): tests use it to check that one ``dask.compute``
of a compiled function's outputs reads every block exactly once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["from_npy", "NpyRows"]


class NpyRows:
    """Row blocks of a ``.npy`` file, opened per read (what ``dask.array.from_array`` needs:
    ``shape``, ``dtype``, ``ndim`` and ``__getitem__``)."""

    def __init__(self, path: str, log: str | None = None) -> None:
        self.path, self.log = str(path), log
        mm = np.load(self.path, mmap_mode="r")  # reads the header only
        if not mm.flags.c_contiguous:
            raise ValueError(f"{path}: a Fortran-ordered .npy cannot be read by rows")
        self.shape, self.dtype, self.ndim = mm.shape, mm.dtype, mm.ndim
        del mm

    def __getitem__(self, index: Any) -> np.ndarray:
        mm = np.load(self.path, mmap_mode="r")
        out = np.array(mm[index])  # a copy: the mapping goes when mm does
        del mm
        if self.log is not None:
            start = index[0].start if isinstance(index, tuple) else index.start
            with open(self.log, "a") as fh:
                fh.write(f"{start or 0}\n")
        return out


def from_npy(path: str, rows: int, log: str | None = None) -> Any:
    """The ``.npy`` file at ``path`` as a Dask array chunked by ``rows`` rows (other axes
    whole).

    Parameters
    ----------
    path : str
        A C-ordered ``.npy`` file.
    rows : int
        Rows per chunk.
    log : str, optional
        A file that each chunk read appends its first row to.

    Returns
    -------
    dask.array.Array
    """
    import dask.array as da

    src = NpyRows(path, log)
    chunks = (rows,) + src.shape[1:]
    return da.from_array(src, chunks=chunks, asarray=False, fancy=False, lock=False,
                         meta=np.empty((0,) * src.ndim, dtype=src.dtype))
