"""One BLAS thread for the suggestion model: its linear algebra is small, and two thread pools thrash.

Why: numpy and scipy each bundle their own OpenBLAS, each with one busy-waiting thread per core. The model's
work is thousands of small products (L-BFGS steps over a few hundred turns); on a 2-core machine, with both
pools at 2 threads, one fit on the sample corpus took 11.9 s against 1.8 s with one thread, and a
leave-one-interview-out run 284 s against 28 s (``bench/README.md``, "One BLAS thread"). Only the BLAS pools
are limited, and only while the model works: the embedding model's own threads are untouched.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread"]

P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def _blas() -> ThreadpoolController:
    """The process's thread pools, found once (numpy and scipy are loaded by the time the model runs)."""
    return ThreadpoolController()


def one_blas_thread(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with every BLAS pool at one thread, restoring the previous limits afterwards."""

    @functools.wraps(func)
    def limited(*args: P.args, **kwargs: P.kwargs) -> R:
        with _blas().limit(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return limited
