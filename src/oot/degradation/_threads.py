"""One BLAS thread while the analysis runs: :func:`one_blas_thread`.

The curve fits, the calendar tests and the bootstrap make thousands of small BLAS and
LAPACK calls (a 35 x 35 eigendecomposition, a (1000, 288) by (288, 48) product). A
multi-threaded BLAS (OpenBLAS's default: one thread per core) wakes its threads for
each of them, which costs more than the arithmetic: on two cores, one such
eigendecomposition takes 0.2 ms with one thread and 5-25 ms with two when the machine is
busy, and bench B3's recommendation runs 3.5 times faster with one thread. The results
are those of one thread: bit for bit the same as with more for designs of B3's size;
for larger ones (720 windows) a threaded product sums in another order and the last
two or three digits of a p-value differ (``tests/test_degradation_threads.py`` checks
agreement to rounding).

The outermost analysis call of a thread takes the limit and gives it back when it ends
(nested calls leave it alone). OpenBLAS's setting is process-wide; threadpoolctl lets
one Python thread at a time control it (a limit asked for by another thread meanwhile
does nothing), so concurrent analyses neither release it early nor leave it set.
Fitting the user's estimators (the engine) keeps every thread. Without threadpoolctl
(scikit-learn's dependency) nothing is limited.
"""

from __future__ import annotations

import threading
from contextlib import ContextDecorator
from typing import Any

__all__ = ["one_blas_thread"]

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
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - scikit-learn depends on it
            _STATE["controller"] = False
        else:
            _STATE["controller"] = ThreadpoolController()
    return _STATE["controller"] or None


class one_blas_thread(ContextDecorator):
    """Limit BLAS to one thread for the duration (a context manager or decorator).

    Examples
    --------
    >>> import numpy as np
    >>> from oot.degradation._threads import one_blas_thread
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
