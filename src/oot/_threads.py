"""Thread limits of the native pools: one BLAS thread while the analysis runs
(:func:`one_blas_thread`), and a core left to the engine's helper thread while an
anchor fits beside its work (:class:`SpareCore`).

The curve fits, the calendar tests and the bootstrap make thousands of small BLAS and
LAPACK calls (a 35 x 35 eigendecomposition, a (1000, 288) by (288, 48) product). A
multi-threaded BLAS (OpenBLAS's default: one thread per core) wakes its threads for
each of them, which costs more than the arithmetic: on two cores, one such
eigendecomposition takes 0.2 ms with one thread and 5-25 ms with two when the machine is
busy, and bench B3's recommendation runs 3.5 times faster with one thread. The results
are those of one thread: bit for bit the same as with more for designs of B3's size;
for larger ones (720 windows) a threaded product sums in another order and the last
two or three digits of a p-value differ (``tests/test_threads.py`` checks
agreement to rounding).

The outermost analysis call of a thread takes the limit and gives it back when it ends
(nested calls leave it alone). OpenBLAS's setting is process-wide; threadpoolctl lets
one Python thread at a time control it (a limit asked for by another thread meanwhile
does nothing), so concurrent analyses neither release it early nor leave it set.
Fitting the user's estimators (the engine) keeps every thread, except beside the
helper thread's work: serially, the engine computes the features' leading indicators
there while the anchor fits, and a comparison scores the previous anchor there, and a
BLAS that keeps every core busy (OpenBLAS's threads spin while they wait) then shares
the cores with a third busy thread. For those fits
:class:`SpareCore` caps the BLAS pools at one thread fewer than the cores (at least one;
never raising a lower limit the user set), so the helper has a core of its own. OpenMP
pools are left alone: their thread count is a setting of the thread that starts a
parallel region, and the models that use them (histogram gradient boosting) keep the
cores busy for far longer than the helper's work takes. Without threadpoolctl
(scikit-learn's dependency) nothing is limited.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ContextDecorator, contextmanager
from typing import Any

__all__ = ["one_blas_thread", "SpareCore"]

_LOCK = threading.Lock()
_STATE: dict[str, Any] = {"controller": None}


class _Depth(threading.local):
    """How deep this thread is in analysis calls, and the limit its outermost took."""

    depth = 0
    limiter: Any = None


_LOCAL = _Depth()


def _controller() -> Any:
    """The cached threadpoolctl controller (None when threadpoolctl is missing)."""
    with _LOCK:
        return _make_controller()


def _make_controller() -> Any:
    if _STATE["controller"] is None:
        import scipy.linalg  # noqa: F401 - loads scipy's own BLAS, so that it is seen
        _STATE["controller"] = _new_controller() or False
    return _STATE["controller"] or None


def _new_controller() -> Any:
    """A threadpoolctl controller of the pools loaded now (None without threadpoolctl)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        return None
    return ThreadpoolController()


class one_blas_thread(ContextDecorator):
    """Limit BLAS to one thread for the duration (a context manager or decorator).

    Examples
    --------
    >>> import numpy as np
    >>> from oot._threads import one_blas_thread
    >>> with one_blas_thread():
    ...     x = np.linalg.eigh(np.eye(3))[0]
    >>> x.tolist()
    [1.0, 1.0, 1.0]
    """

    def __enter__(self) -> one_blas_thread:
        if _LOCAL.depth == 0:
            ctl = _controller()
            _LOCAL.limiter = None if ctl is None else ctl.limit(limits=1, user_api="blas")
        _LOCAL.depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        _LOCAL.depth -= 1
        if _LOCAL.depth == 0 and _LOCAL.limiter is not None:
            limiter, _LOCAL.limiter = _LOCAL.limiter, None
            limiter.restore_original_limits()


class SpareCore:
    """One engine run's cap on the BLAS pools while an anchor fits beside the helper
    thread's work: at most one thread fewer than the cores (at least one), for the
    duration of :meth:`fitting`. The pools are found once per run (the estimator's
    libraries are loaded by then); a pool already at or below the cap is not touched.

    Examples
    --------
    >>> import numpy as np
    >>> from oot._threads import SpareCore
    >>> spare = SpareCore()
    >>> with spare.fitting(busy_helper=True):
    ...     x = np.ones((3, 3)) @ np.ones(3)
    >>> x.tolist()
    [3.0, 3.0, 3.0]
    """

    def __init__(self) -> None:
        self._controller: Any = None
        self.cap = 0

    def _libraries(self) -> list[Any]:
        if self._controller is None:
            import joblib

            self.cap = max(1, int(joblib.cpu_count()) - 1)
            ctl = _new_controller()   # not the cached one: the estimator's pools too
            self._controller = False if ctl is None else ctl.select(user_api="blas")
        if not self._controller:
            return []
        return list(self._controller.lib_controllers)

    @contextmanager
    def fitting(self, *, busy_helper: bool) -> Iterator[None]:
        """Cap the BLAS pools for the duration when ``busy_helper`` (the helper thread
        has work meanwhile: the anchor's indicators, a comparison's scoring), else
        change nothing."""
        if not busy_helper:
            yield
            return
        libs = self._libraries()
        over = {lib.filepath: self.cap for lib in libs if lib.num_threads > self.cap}
        if not over:
            yield
            return
        limiter = self._controller.limit(limits=over)
        try:
            yield
        finally:
            limiter.restore_original_limits()
