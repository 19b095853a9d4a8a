"""Exact, standard JSON (de)serialisation of DataFrames and scalar values.

No NaN tokens (NaN -> null), datetimes as ISO 8601 with their offset, timedeltas as
integer nanoseconds, floats through ``repr`` (json's own), so a round trip is exact.
The results' ``from_json`` read their document with :func:`load_document` and
:func:`check_schema`, which say what is wrong with a document in the one style.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from oot._validation import InvalidParameterError

__all__ = ["frame_to_dict", "frame_from_dict", "value_to_json", "value_from_json",
           "load_document", "check_schema"]


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


def frame_from_dict(d: dict[str, Any]) -> pd.DataFrame:
    """Inverse of :func:`frame_to_dict`."""
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
        d = json.loads(text)
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


def check_schema(d: dict[str, Any], schema: str, cls: str) -> None:
    """Refuse a document whose ``schema`` field is not ``schema`` (``cls.to_json``'s)."""
    if d.get("schema") != schema:
        msg = (f"The 'text' parameter of {cls}.from_json must be a document written by "
               f"{cls}.to_json (schema {schema!r}). Got schema {d.get('schema')!r} "
               "instead.")
        raise InvalidParameterError(msg)
