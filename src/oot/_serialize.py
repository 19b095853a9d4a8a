"""Exact, standard JSON (de)serialisation of DataFrames and scalar values.

No NaN tokens (NaN -> null), datetimes as ISO 8601 with their offset, timedeltas as
integer nanoseconds, floats through ``repr`` (json's own), so a round trip is exact.
The results' ``from_json`` read their document with :func:`load_document` and
:func:`check_schema`, check its fields with :func:`field`, and build it inside
:func:`reading`: every malformed document (not JSON, nested past reason, numbers out of
range, a field of the wrong type or with an unknown value, a table that contradicts
its own row count) raises :class:`~oot.InvalidParameterError` and nothing else. A
result added later reads its document the same way.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NoReturn, TypeVar

import numpy as np
import pandas as pd

from oot._validation import InvalidParameterError

__all__ = ["frame_to_dict", "frame_from_dict", "value_to_json", "value_from_json",
           "load_document", "check_schema", "field", "value_field", "reading",
           "DocumentError", "record_to_dict", "record_from_dict"]

_R = TypeVar("_R")


class DocumentError(InvalidParameterError):
    """A JSON document that its ``from_json`` cannot read (raised by :func:`field` and
    the frame reader; :func:`reading` says which result's document it was)."""


_INT64 = 2**63
#: JSON nested deeper than this is not a document oot wrote (its deepest is about 8).
MAX_DEPTH = 64


def _bad(where: str, expected: str, got: Any) -> NoReturn:
    text = repr(got)
    if len(text) > 80:
        text = text[:77] + "..."
    msg = f"its field {where!r} must be {expected}; got {text}"
    raise DocumentError(msg)


def _check_number(v: Any, where: str, *, integral: bool = False) -> None:
    if isinstance(v, bool) or not isinstance(v, int if integral else (int, float)):
        _bad(where, "an integer" if integral else "a number", v)
    if isinstance(v, int) and abs(v) >= _INT64:
        _bad(where, "a number within the 64-bit range", v)
    if isinstance(v, float) and not math.isfinite(v):
        _bad(where, "a finite number", v)


def _col_kind(s: pd.Series) -> tuple[str, str | None]:
    dt = s.dtype
    if isinstance(dt, pd.DatetimeTZDtype):
        return "datetime", str(dt.tz)
    if dt.kind == "M":
        return "datetime", None
    if dt.kind == "m":
        return "timedelta", None
    if isinstance(dt, pd.StringDtype):
        return "string", str(dt)
    if dt.kind == "b":
        return "bool", None
    if dt.kind in "iu":
        return "int", None
    if dt.kind == "f":
        return "float", None
    return "object", None


def frame_to_dict(df: pd.DataFrame) -> dict[str, Any]:
    """A DataFrame as a JSON-ready dict with its column types."""
    columns: list[dict[str, Any]] = []
    for name in df.columns:
        s = df[name]
        kind, tz = _col_kind(s)
        if kind == "datetime":
            values: list[Any] = [None if pd.isna(v) else pd.Timestamp(v).isoformat() for v in s]
        elif kind == "timedelta":
            values = [None if pd.isna(v) else int(pd.Timedelta(v).value) for v in s]
        elif kind == "float":
            values = [None if not math.isfinite(v) else float(v) for v in s.to_numpy(float)]
            # keep +-inf distinguishable from NaN
            arr = s.to_numpy(float)
            values = [
                ("inf" if v > 0 else "-inf") if np.isinf(v) else x
                for v, x in zip(arr, values, strict=True)
            ]
        elif kind == "int":
            values = [int(v) for v in s]
        elif kind == "bool":
            values = [bool(v) for v in s]
        elif kind == "string":
            values = [None if pd.isna(v) else str(v) for v in s]
        else:
            values = [value_to_json(v) for v in s]
        columns.append({"name": str(name), "kind": kind, "tz": tz, "dtype": str(s.dtype),
                        "values": values})
    return {"columns": columns, "n_rows": len(df)}


_KINDS = ("datetime", "timedelta", "float", "int", "bool", "string", "object")


def _check_frame(d: Any, where: str) -> None:
    """Refuse a table that :func:`frame_to_dict` cannot have written."""
    if not isinstance(d, dict):
        _bad(where, "a table (a JSON object)", d)
    n: Any = d.get("n_rows")
    _check_number(n, f"{where}.n_rows", integral=True)
    if n < 0:
        _bad(f"{where}.n_rows", "a count >= 0", n)
    cols = d.get("columns")
    if not isinstance(cols, list):
        _bad(f"{where}.columns", "a list of columns", cols)
    names = set()
    for i, col in enumerate(cols):
        here = f"{where}.columns[{i}]"
        if not isinstance(col, dict):
            _bad(here, "a column (a JSON object)", col)
        name, kind, vals = col.get("name"), col.get("kind"), col.get("values")
        if not isinstance(name, str) or name in names:
            _bad(f"{here}.name", "a column name (text) not used before", name)
        names.add(name)
        if kind not in _KINDS:
            _bad(f"{here}.kind", f"one of {_KINDS}", kind)
        if not isinstance(vals, list) or len(vals) != n:
            _bad(f"{here}.values", f"a list of n_rows={n} values",
                 f"{len(vals)} values" if isinstance(vals, list) else vals)
        tz, dtype = col.get("tz"), col.get("dtype")
        if tz is not None and not isinstance(tz, str):
            _bad(f"{here}.tz", "a time zone name or null", tz)
        if dtype is not None and not isinstance(dtype, str):
            _bad(f"{here}.dtype", "a dtype name or null", dtype)
        _check_dtype(kind, tz, dtype, here)
        for j, v in enumerate(vals):
            _check_cell(kind, v, f"{here}.values[{j}]")


def _check_dtype(kind: str, tz: Any, dtype: Any, where: str) -> None:
    ok = {"datetime": lambda t: t is None or t.startswith("datetime64["),
          "timedelta": lambda t: t is None or t.startswith("timedelta64["),
          "string": lambda t: t is None or t.startswith(("str", "string"))}
    if kind in ok and not ok[kind](dtype):
        _bad(f"{where}.dtype", f"a {kind} dtype", dtype)
    if kind == "string" and not (tz is None or tz.startswith(("str", "string"))):
        _bad(f"{where}.tz", "a string dtype", tz)
    if kind in ("datetime", "timedelta") and dtype is not None:
        try:
            pd.api.types.pandas_dtype(dtype)
        except (TypeError, ValueError):
            _bad(f"{where}.dtype", f"a {kind} dtype", dtype)


def _check_cell(kind: str, v: Any, where: str) -> None:
    if v is None and kind in ("datetime", "timedelta", "float", "string", "object"):
        return
    if kind in ("datetime", "string"):
        if not isinstance(v, str):
            _bad(where, "text" if kind == "string" else "an ISO 8601 timestamp", v)
    elif kind in ("timedelta", "int"):
        _check_number(v, where, integral=True)
    elif kind == "float":
        if v not in ("inf", "-inf"):
            _check_number(v, where)
    elif kind == "bool":
        if not isinstance(v, bool):
            _bad(where, "true or false", v)
    else:
        _check_value(v, where)


def _check_value(v: Any, where: str, depth: int = 0) -> None:
    """Refuse a tagged value :func:`value_to_json` cannot have written."""
    if depth > MAX_DEPTH:
        _bad(where, f"nested at most {MAX_DEPTH} deep", "deeper")
    if v is None or isinstance(v, (bool, str)):
        return
    if isinstance(v, (int, float)):
        _check_number(v, where)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            _check_value(x, f"{where}[{i}]", depth + 1)
    elif isinstance(v, dict):
        tags = [k for k in v if k in _TAGS]
        if len(tags) != 1:
            _bad(where, "a value written by to_json (one tag such as '__timestamp__')",
                 sorted(v))
        tag, x = tags[0], v[tags[0]]
        if tag == "__float__" and x not in ("nan", "inf", "-inf"):
            _bad(where, "'nan', 'inf' or '-inf'", x)
        elif tag in ("__timestamp__", "__offset__") and not isinstance(x, str):
            _bad(where, "text", x)
        elif tag == "__timedelta__":
            _check_number(x, where, integral=True)
        elif tag == "__tuple__":
            if not isinstance(x, list):
                _bad(where, "a list", x)
            _check_value(x, where, depth + 1)
        elif tag == "__dict__":
            if not isinstance(x, list) or not all(
                    isinstance(p, list) and len(p) == 2 for p in x):
                _bad(where, "a list of [key, value] pairs", x)
            _check_value(x, where, depth + 1)
        if tag == "__timestamp__" and v.get("tz") is not None and not isinstance(
                v["tz"], str):
            _bad(f"{where}.tz", "a time zone name or null", v["tz"])
    else:  # pragma: no cover - json gives no other types
        _bad(where, "a JSON value", v)


_TAGS = ("__float__", "__nat__", "__timestamp__", "__timedelta__", "__tuple__", "__dict__",
         "__offset__")


def frame_from_dict(d: dict[str, Any], where: str = "frame") -> pd.DataFrame:
    """Inverse of :func:`frame_to_dict`; a table it cannot have written is refused
    (:class:`DocumentError`), e.g. one whose ``n_rows`` contradicts its columns."""
    _check_frame(d, where)
    data: dict[str, Any] = {}
    for col in d["columns"]:
        kind, vals = col["kind"], col["values"]
        if kind == "datetime":
            s = pd.to_datetime(pd.Series([pd.NaT if v is None else v for v in vals],
                                         dtype=object), utc=col["tz"] is not None,
                               format="ISO8601")
            if col["tz"] is not None:
                s = s.dt.tz_convert(col["tz"])
            data[col["name"]] = s.astype(col.get("dtype") or (
                "datetime64[ns, " + col["tz"] + "]" if col["tz"] else "datetime64[ns]"))
        elif kind == "timedelta":
            data[col["name"]] = pd.Series(
                [pd.NaT if v is None else pd.Timedelta(int(v), unit="ns") for v in vals],
                dtype="timedelta64[ns]").astype(col.get("dtype") or "timedelta64[ns]")
        elif kind == "float":
            data[col["name"]] = pd.Series(
                [np.nan if v is None else float(v) for v in vals], dtype=float
            )
        elif kind == "int":
            data[col["name"]] = pd.Series(vals, dtype="int64")
        elif kind == "bool":
            data[col["name"]] = pd.Series(vals, dtype=bool)
        elif kind == "string":
            data[col["name"]] = pd.Series(vals, dtype=col["tz"])
        else:
            data[col["name"]] = pd.Series([value_from_json(v) for v in vals], dtype=object)
    return pd.DataFrame(data, index=pd.RangeIndex(d["n_rows"]))


def value_to_json(v: Any) -> Any:
    """A scalar (or tuple/list/dict of scalars) as JSON-ready data, tagged when needed."""
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return {"__float__": "nan"}
        if math.isinf(f):
            return {"__float__": "inf" if f > 0 else "-inf"}
        return f
    if isinstance(v, str):
        return v
    if v is pd.NaT:
        return {"__nat__": True}
    if isinstance(v, pd.Timestamp):
        return {"__timestamp__": v.isoformat(), "tz": None if v.tz is None else str(v.tz)}
    if isinstance(v, pd.Timedelta):
        return {"__timedelta__": int(v.value)}
    if isinstance(v, np.datetime64):
        return value_to_json(pd.Timestamp(v))
    if isinstance(v, np.timedelta64):
        return value_to_json(pd.Timedelta(v))
    if isinstance(v, (list, tuple)):
        return {"__tuple__": [value_to_json(x) for x in v]} if isinstance(v, tuple) else [
            value_to_json(x) for x in v
        ]
    if isinstance(v, np.ndarray):
        return [value_to_json(x) for x in v.tolist()]
    if isinstance(v, dict):
        return {"__dict__": [[value_to_json(k), value_to_json(x)] for k, x in v.items()]}
    if isinstance(v, pd.offsets.BaseOffset):
        return {"__offset__": v.freqstr}
    return str(v)


def value_from_json(v: Any) -> Any:
    """Inverse of :func:`value_to_json`."""
    if isinstance(v, list):
        return [value_from_json(x) for x in v]
    if not isinstance(v, dict):
        return v
    if "__float__" in v:
        return float(v["__float__"])
    if "__nat__" in v:
        return pd.NaT
    if "__timestamp__" in v:
        ts = pd.Timestamp(v["__timestamp__"])
        if v.get("tz") is not None:
            ts = ts.tz_convert(v["tz"])
        return ts
    if "__timedelta__" in v:
        return pd.Timedelta(int(v["__timedelta__"]), unit="ns")
    if "__tuple__" in v:
        return tuple(value_from_json(x) for x in v["__tuple__"])
    if "__dict__" in v:
        return {value_from_json(k): value_from_json(x) for k, x in v["__dict__"]}
    if "__offset__" in v:
        return pd.tseries.frequencies.to_offset(v["__offset__"])
    msg = f"Unrecognised tagged JSON value: {v!r}"
    raise ValueError(msg)


# ------------------------------------------------------------- result documents
def load_document(text: str | bytes, cls: str) -> dict[str, Any]:
    """The JSON object in ``text``, which ``cls.from_json`` was given.

    Raises
    ------
    InvalidParameterError
        When ``text`` is not JSON, or not a JSON object.
    """
    try:
        d = json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:
        msg = (f"The 'text' parameter of {cls}.from_json must be a JSON document written by "
               f"{cls}.to_json. It is nested too deeply to be one.")
        raise InvalidParameterError(msg) from exc
    except (TypeError, ValueError) as exc:
        msg = (f"The 'text' parameter of {cls}.from_json must be a JSON document written by "
            f"{cls}.to_json. It could not be parsed: {exc}.")
        raise InvalidParameterError(
            msg
        ) from exc
    if not isinstance(d, dict):
        msg = (f"The 'text' parameter of {cls}.from_json must be a JSON object written by "
            f"{cls}.to_json. Got a JSON {type(d).__name__} instead.")
        raise InvalidParameterError(
            msg
        )
    return d


def _no_constant(name: str) -> Any:
    msg = f"{name} is not standard JSON (to_json writes none)"
    raise ValueError(msg)


@contextlib.contextmanager
def reading(cls: str) -> Iterator[None]:
    """Build ``cls`` from a document: any failure is an :class:`InvalidParameterError`
    that names ``cls.from_json`` and says what is wrong.

    Examples
    --------
    >>> from oot._serialize import field, reading
    >>> with reading("OOTEvaluation"):
    ...     field({"time_kind": "dates"}, "time_kind", options=("datetime", "numeric"))
    Traceback (most recent call last):
    ...
    oot._validation.InvalidParameterError: The 'text' parameter of OOTEvaluation.from_json
    must be a document written by OOTEvaluation.to_json; its field 'time_kind' must be one
    of ('datetime', 'numeric'); got 'dates'.
    """
    if _READING.get() is not None:  # a part of an outer document: it names itself
        yield
        return
    token = _READING.set(cls)
    head = (f"The 'text' parameter of {cls}.from_json must be a document written by "
            f"{cls}.to_json")
    try:
        yield
    except DocumentError as exc:
        msg = f"{head}; {exc}."
        raise InvalidParameterError(msg) from exc
    except InvalidParameterError:
        raise
    except (LookupError, TypeError, ValueError, ArithmeticError, AttributeError,
            RecursionError) as exc:
        msg = f"{head}. It is not one: {type(exc).__name__}: {exc}."
        raise InvalidParameterError(msg) from exc
    finally:
        _READING.reset(token)


_READING: contextvars.ContextVar[str | None] = contextvars.ContextVar("oot_reading",
                                                                      default=None)


def field(d: Any, key: str, *, types: type | tuple[type, ...] | None = None,
          options: Sequence[Any] | None = None, number: bool = False,
          integral: bool = False, optional: bool = False, default: Any = None,
          where: str = "") -> Any:
    """Field ``key`` of the document (or sub-document) ``d``, checked.

    ``types``: the JSON types it may have; ``options``: the values it may take;
    ``number`` / ``integral``: a finite number (an integer) in the 64-bit range. A
    missing field is an error unless ``optional`` (then ``default``).
    """
    path = f"{where}.{key}" if where else key
    if not isinstance(d, dict):
        _bad(where or "document", "a JSON object", d)
    if key not in d:
        if optional:
            return default
        msg = f"its field {path!r} is missing"
        raise DocumentError(msg)
    v = d[key]
    if options is not None and (not isinstance(v, (str, bool, int, type(None)))
                                or v not in options):
        _bad(path, f"one of {tuple(options)}", v)
    if types is not None and not isinstance(v, types):
        names = types.__name__ if isinstance(types, type) else " or ".join(
            t.__name__ for t in types)
        _bad(path, f"of type {names}", v)
    if number or integral:
        if v is None and optional:
            return v
        _check_number(v, path, integral=integral)
    return v


def value_field(d: Any, key: str, *, optional: bool = False, where: str = "") -> Any:
    """Field ``key`` read with :func:`value_from_json`, after checking its tags."""
    path = f"{where}.{key}" if where else key
    v = field(d, key, optional=optional, where=where)
    _check_value(v, path)
    return value_from_json(v)


def check_schema(d: dict[str, Any], schema: str, cls: str) -> None:
    """Refuse a document whose ``schema`` field is not ``schema`` (``cls.to_json``'s)."""
    if d.get("schema") != schema:
        msg = (f"The 'text' parameter of {cls}.from_json must be a document written by "
               f"{cls}.to_json (schema {schema!r}). Got schema {d.get('schema')!r} "
               "instead.")
        raise InvalidParameterError(msg)


def record_to_dict(record: Any, schema: str) -> dict[str, Any]:
    """A result dataclass as a JSON-ready dict, one entry per field.

    Frames go through :func:`frame_to_dict`, nested results (anything with a
    ``to_dict``) through their own ``to_dict``, other values through
    :func:`value_to_json`; ``schema`` first, and ``sentence`` (``str(record)``) last
    for a human reading the file. :func:`record_from_dict` inverts it.

    Examples
    --------
    >>> import dataclasses
    >>> from oot._serialize import record_from_dict, record_to_dict
    >>> @dataclasses.dataclass
    ... class Pair:
    ...     low: float
    ...     high: float
    >>> d = record_to_dict(Pair(0.5, float("nan")), "pair/1")
    >>> d["high"], d["sentence"]
    ({'__float__': 'nan'}, 'Pair(low=0.5, high=nan)')
    >>> record_from_dict(Pair, d, "pair/1", {})
    Pair(low=0.5, high=nan)
    """
    out: dict[str, Any] = {"schema": schema}
    for f in dataclasses.fields(record):
        v = getattr(record, f.name)
        if isinstance(v, pd.DataFrame):
            out[f.name] = frame_to_dict(v)
        elif hasattr(v, "to_dict") and not isinstance(v, (pd.Series, np.ndarray)):
            out[f.name] = v.to_dict()
        else:
            out[f.name] = value_to_json(v)
    out["sentence"] = str(record)
    return out


def record_from_dict(cls: type[_R], d: Any, schema: str,
                     readers: Mapping[str, Callable[[Any], Any]]) -> _R:
    """Rebuild the dataclass ``cls`` from :func:`record_to_dict` output.

    ``readers`` maps a field to the function that reads it (``frame_from_dict``,
    ``Metric.from_dict``, ...); every other field is read with :func:`value_field`.
    A missing or malformed field raises :class:`~oot.InvalidParameterError` naming
    ``cls.from_json`` (through :func:`reading`).
    """
    name = cls.__name__
    if not isinstance(d, dict):
        _bad_document(name, d)
    check_schema(d, schema, name)
    with reading(name):
        kw: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name in readers:
                kw[f.name] = readers[f.name](field(d, f.name))
            else:
                kw[f.name] = value_field(d, f.name)
        return cls(**kw)


def _bad_document(cls: str, d: Any) -> NoReturn:
    msg = (f"The 'text' parameter of {cls}.from_json must be a document written by "
           f"{cls}.to_json (a JSON object). Got {type(d).__name__} instead.")
    raise InvalidParameterError(msg)
