"""Any data frame in: the one conversion of a caller's frame to the pandas frame oot reads.

Every public function that takes data calls :func:`to_pandas` once, first. A pandas
DataFrame is returned as it is (no copy). Any other frame that narwhals reads is
converted through narwhals: a polars DataFrame or LazyFrame, a pyarrow Table, and the
other libraries narwhals supports. Only the columns the call reads are converted (a
LazyFrame collects only those), and each column gets the pandas dtype pandas itself
would hold for it, so that results are exactly those of the same data given as pandas:

==============================  ===================================================
source dtype                    pandas dtype
==============================  ===================================================
integers, no nulls              the same integer dtype
integers with nulls             float64, nulls as NaN (as pandas reads them)
floats                          the same float dtype, nulls as NaN
boolean, no nulls / with nulls  bool / object (True, False, None)
string                          what pandas infers for the strings (``str`` in
                                pandas 3, object in pandas 2), nulls missing
categorical                     category; the categories are the values present,
                                sorted (an Enum, or an Arrow dictionary, keeps its
                                categories in their order)
datetime (time zone or naive)   datetime64 with the same unit and time zone
date                            datetime64 (midnight, naive)
duration                        timedelta64
anything else                   object (Python values)
==============================  ===================================================

Each column is converted on its own, straight to the numpy array (or pandas array) the
pandas frame holds, and the frame is built on them without a copy: numbers without
nulls are read-only views of the caller's memory where the library allows it (polars
and Arrow columns in one chunk), so converting costs a few milliseconds and no memory.
The engine copies float features into its own row-major block, in time order, on its
helper thread, exactly as it does from a pandas frame (``_features_in_time_order`` in
:mod:`oot.evaluate._engine`). The caller's frame is never modified. narwhals is
imported only for a frame that is not pandas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from oot._validation import InvalidParameterError, param_message

__all__ = ["FRAME_TYPES", "to_pandas", "model_frame", "column_names"]

#: What a ``data`` argument may be (the words of the error message).
FRAME_TYPES = ("a data frame (pandas or polars DataFrame, polars LazyFrame, pyarrow Table, "
               "or another frame narwhals reads)")


def _names(values: Iterable[Any]) -> list[Any]:
    """The distinct names in order (a name asked for twice is converted once)."""
    out: list[Any] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def column_names(*values: Any) -> list[Any] | None:
    """The column names in ``values`` (each a name or a list of names), or None when one
    is not a name (the caller's own checks then report it on the whole frame)."""
    out: list[Any] = []
    for v in values:
        items = [v] if isinstance(v, str) else v
        if not isinstance(items, Sequence) or not all(isinstance(i, str) for i in items):
            return None
        out.extend(items)
    return out


def model_frame(data: Any, *, target: Any, time: Any, features: Any,
                expected: str = FRAME_TYPES, fix: str | None = None,
                func: str | None = None, also: Any = None) -> pd.DataFrame:
    """:func:`to_pandas` for a call that fits an estimator: the target, the time and the
    feature columns (every other column when ``features`` is None), and the columns of
    ``also`` (a name or a list of names, such as ``segment=``; None for none); the
    features form the float block when they share one float dtype.

    Names that are not column names (None, a string given as ``features``) make no
    selection: the whole frame is converted and the caller's own checks report them.
    """
    if isinstance(data, pd.DataFrame):
        return data
    plain = all(isinstance(v, str) for v in (target, time))
    if features is None and plain:
        return to_pandas(data, columns=None, expected=expected, fix=fix, func=func)
    if plain and isinstance(features, Sequence) and not isinstance(features, str) and all(
            isinstance(f, str) for f in features):
        extra = column_names(also) if also is not None else []
        if extra is not None:
            cols = [target, time, *features]
            cols += [c for c in dict.fromkeys(extra) if c not in cols]
            return to_pandas(data, columns=cols, expected=expected, fix=fix, func=func)
    return to_pandas(data, columns=None, expected=expected, fix=fix, func=func)


def to_pandas(
    data: Any,
    *,
    columns: Sequence[Any] | None = None,
    param: str = "data",
    expected: str = FRAME_TYPES,
    fix: str | None = None,
    func: str | None = None,
) -> pd.DataFrame:
    """``data`` as a pandas DataFrame (the frame itself when it is one).

    Parameters
    ----------
    data : pandas DataFrame, or any frame narwhals reads
    columns : list of str, default=None
        The columns the caller reads (None: all). They keep the frame's order. When one
        of them is not in the frame, every column is returned with no row: the caller's
        column check then reports the missing name with the frame's columns, exactly as
        for a pandas frame.
    param, expected, fix, func
        The error for an unsupported object: ``param`` must be ``expected``.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InvalidParameterError
        For an object that is not a data frame, with the accepted types.

    Examples
    --------
    >>> import pandas as pd
    >>> from oot._frames import to_pandas
    >>> df = pd.DataFrame({"t": [1, 2], "y": [0, 1]})
    >>> to_pandas(df) is df
    True
    >>> to_pandas([1, 2])
    Traceback (most recent call last):
    ...
    oot._validation.InvalidParameterError: The 'data' parameter of ... must be a data frame ...
    """
    if isinstance(data, pd.DataFrame):
        return data
    frame = _narwhals_frame(data, param, expected, fix, func)
    import narwhals as nw

    names = list(frame.collect_schema().names())
    if columns is not None:
        wanted = _names(columns)
        if any(c not in names for c in wanted):
            # the caller's check reports the first missing name against every column
            frame = frame.head(0)
            wanted = names
        else:
            wanted = [c for c in names if c in wanted]
        if wanted != names:
            frame = frame.select(wanted)
    else:
        wanted = names
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return _convert(frame, wanted)


def _narwhals_frame(data: Any, param: str, expected: str, fix: str | None,
                    func: str | None) -> Any:
    type_name = type(data).__name__
    try:
        import narwhals as nw
    except ImportError as exc:  # a run-time dependency; say so if it is missing
        raise InvalidParameterError(param_message(
            param, func, expected, type_name,
            "Reading frames other than pandas needs narwhals: pip install narwhals.")
        ) from exc
    frame = nw.from_native(data, pass_through=True)
    if not isinstance(frame, nw.DataFrame | nw.LazyFrame):
        raise InvalidParameterError(param_message(
            param, func, expected, type_name,
            fix or "Build a pandas DataFrame with pandas.DataFrame(...), or pass a polars "
            "or pyarrow frame."))
    return frame


def _convert(frame: Any, names: list[Any]) -> pd.DataFrame:
    """The eager narwhals ``frame`` (columns ``names``) as pandas, column by column.

    ``copy=False``: pandas keeps each column's array as it is (a view of the caller's
    memory where the conversion made none) instead of consolidating the columns of one
    dtype into a new block, a copy of every column.
    """
    return pd.DataFrame({c: _column(frame[c]) for c in names},
                        index=pd.RangeIndex(int(frame.shape[0])), columns=names, copy=False)


def _column(s: Any) -> Any:
    """One narwhals Series as the values of a pandas column (see the module's table)."""
    import narwhals as nw

    dtype = s.dtype
    if dtype.is_integer() or dtype.is_float() or dtype == nw.Boolean:
        return s.to_numpy()  # nulls: NaN for numbers, None (object) for booleans
    if dtype == nw.Datetime:
        values = pd.DatetimeIndex(s.to_numpy())
        if dtype.time_zone is not None:  # the values are UTC instants
            values = values.tz_localize("UTC").tz_convert(dtype.time_zone)
        return values
    if dtype == nw.Date:
        return pd.DatetimeIndex(s.cast(nw.Datetime("us")).to_numpy())
    if dtype == nw.Duration:
        return pd.TimedeltaIndex(s.to_numpy())
    if dtype in (nw.Categorical, nw.Enum):
        native = s.to_native()
        if nw.dependencies.is_pyarrow_chunked_array(native):
            return native.unify_dictionaries().to_pandas().array  # the dictionary's order
        values = s.cast(nw.String).to_numpy().astype(object)
        if dtype == nw.Enum:
            categories = list(dtype.categories)
        else:
            categories = sorted({v for v in values if v is not None})
        return pd.Categorical(values, categories=categories)
    if dtype == nw.String:
        return pd.Series(s.to_numpy().astype(object)).array
    return pd.Series(s.to_list(), dtype=object).array
