"""``oot due RECOMMENDATION.json --trained-at DATE [--now DATE]``: is retraining due?

For a scheduled job (cron, Airflow, CI): it reads the exact recommendation file that
``oot analyze`` or ``oot demo`` wrote (or the report folder holding it), compares the
model's age with the recommendation's safe interval (the low end of the interval's CI;
the interval itself when the CI has no low end), prints one JSON line on stdout and
exits 0 when the model is younger (fine), 1 when retraining is due, 2 on bad input.

The model's age is ``now - trained_at``, ``trained_at`` being the end of the model's
training data (its cutoff): "a model whose training data ends at c stays within
tolerance until c + interval".

The line (schema ``oot.due/1``): ``schema``, ``decision`` ("fine" or "retrain"),
``due`` (bool), ``exit_code``, ``status`` (the recommendation's), ``reason``,
``trained_at``, ``now``, ``retrain_by`` (``trained_at`` + the safe interval; null when
the metric does not degrade), ``age_unit`` ("days", or the numeric time's unit), and
in that unit ``model_age``, ``safe_interval``, ``interval``, ``remaining`` (safe
interval minus age; negative when overdue), and the same in days for datetime time
(``model_age_days``, ``safe_interval_days``, ``interval_days``, ``remaining_days``;
null for numeric time).

A ``recommendations.json`` (several metrics or segments) is judged by the item that
decides the cadence, the one with the shortest interval (the first when none degrades);
the line then also says which: ``metric`` and ``segment``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ._common import CLIError

NAME = "due"
DUE_SCHEMA = "oot.due/1"
EXIT_FINE = 0
EXIT_DUE = 1


def add_parser(sub: Any) -> None:
    """Add ``oot due`` to the subcommands ``sub``."""
    due = sub.add_parser(
        "due", help="is retraining due? (exit 0 fine, 1 due, 2 bad input)",
        description="Decide from a recommendation file whether a model trained on data "
                    "up to --trained-at must be retrained now: exit 0 when it is younger "
                    "than the safe interval, 1 when retraining is due, 2 on bad input. "
                    "Prints one JSON line (schema oot.due/1) on stdout.")
    due.add_argument("recommendation", metavar="RECOMMENDATION.json",
                     help="recommendation.json from oot analyze / oot demo, or its report "
                          "folder; a recommendations.json (several metrics or segments) "
                          "is judged by the item with the shortest interval")
    due.add_argument("--trained-at", required=True, metavar="DATE",
                     help="end of the model's training data (a date, or a number for "
                          "numeric time)")
    due.add_argument("--now", metavar="DATE",
                     help="the time to judge at (default: now, in the data's time zone)")
    due.add_argument("--json", action="store_true",
                     help="accepted for symmetry: the output is always JSON")


def _read(path_text: str) -> tuple[Any, tuple[str, str] | None]:
    """The recommendation that decides, and its (metric, segment) when the file holds
    several (``recommendations.json``: the binding item, see
    :func:`oot._flat.deciding_item`)."""
    from oot._flat import deciding_item
    from oot._serialize import load_document
    from oot.recommend import RetrainRecommendation, RetrainRecommendations

    path = Path(path_text)
    if path.is_dir():
        one, several = path / "recommendation.json", path / "recommendations.json"
        path = several if several.is_file() and not one.is_file() else one
    if not path.is_file():
        msg = (f"recommendation file not found: {path} (give the recommendation.json or "
               "recommendations.json that oot analyze wrote, or its report folder)")
        raise CLIError(msg)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"could not read {path}: {exc}"
        raise CLIError(msg) from exc
    try:
        doc = load_document(text, "RetrainRecommendation")
        if str(doc.get("schema", "")).startswith("oot.RetrainRecommendations/"):
            recs = RetrainRecommendations.from_dict(doc)
            item = deciding_item(recs)
            return item, recs.keys[recs.items.index(item)]
        return RetrainRecommendation.from_dict(doc), None
    except (ValueError, TypeError, KeyError) as exc:
        msg = (f"{path} is not a recommendation written by oot (recommendation.json of a "
               f"report folder): {exc}")
        raise CLIError(msg) from exc


def _when(text: str, param: str, kind: str, tz: Any) -> Any:
    import pandas as pd

    if kind == "numeric":
        try:
            return float(text)
        except ValueError as exc:
            msg = f"argument {param}: expected a number for numeric time, got {text!r}"
            raise CLIError(msg) from exc
    try:
        t = pd.Timestamp(text)
    except (ValueError, TypeError) as exc:
        msg = f"argument {param}: expected a date or timestamp, e.g. 2024-03-31, got {text!r}"
        raise CLIError(msg) from exc
    if pd.isna(t):
        msg = f"argument {param}: expected a date or timestamp, got {text!r}"
        raise CLIError(msg)
    if tz is not None:
        t = t.tz_localize(tz) if t.tzinfo is None else t.tz_convert(tz)
    elif t.tzinfo is not None:
        t = t.tz_convert("UTC").tz_localize(None)
    return t


def decide(rec: Any, trained_at: Any, now: Any) -> dict[str, Any]:
    """The ``oot.due/1`` line for a model trained up to ``trained_at``, judged at
    ``now`` (Timestamps, or numbers for numeric time)."""
    import pandas as pd

    from oot._flat import age_number, age_unit_of

    kind = rec.time_kind
    safe = rec.safe_interval if rec.safe_interval is not None else rec.interval
    age = now - trained_at
    if rec.status == "no_degradation" or safe is None:
        due, reason = False, ("the metric shows no significant degradation with model "
                              "age: no age-based retraining is due")
    else:
        due = bool(age >= safe)
        which = "safe interval" if rec.safe_interval is not None else "interval"
        reason = (f"the model is {'older' if due else 'younger'} than the recommendation's "
                  f"{which}")
    out: dict[str, Any] = {
        "schema": DUE_SCHEMA,
        "decision": "retrain" if due else "fine",
        "due": due,
        "exit_code": EXIT_DUE if due else EXIT_FINE,
        "status": rec.status,
        "reason": reason,
        "trained_at": trained_at.isoformat() if kind == "datetime" else trained_at,
        "now": now.isoformat() if kind == "datetime" else now,
        "retrain_by": None,
        "age_unit": age_unit_of(rec),
        "model_age": age_number(age, kind),
        "safe_interval": age_number(safe, kind) if rec.status != "no_degradation" else None,
        "interval": age_number(rec.interval, kind),
    }
    if out["safe_interval"] is not None:
        out["remaining"] = out["safe_interval"] - out["model_age"]
        by = trained_at + safe
        out["retrain_by"] = by.isoformat() if isinstance(by, pd.Timestamp) else by
    else:
        out["remaining"] = None
    for name in ("model_age", "safe_interval", "interval", "remaining"):
        out[f"{name}_days"] = out[name] if kind == "datetime" else None
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``oot due``; return 0 (fine) or 1 (retraining due)."""
    import pandas as pd

    rec, key = _read(args.recommendation)
    kind = rec.time_kind
    tz = rec.evaluation.scores["cutoff"].dt.tz if kind == "datetime" else None
    trained_at = _when(args.trained_at, "--trained-at", kind, tz)
    if args.now is not None:
        now = _when(args.now, "--now", kind, tz)
    elif kind == "datetime":
        now = pd.Timestamp.now(tz=tz) if tz is not None else pd.Timestamp.now()
    else:
        msg = "argument --now: required for numeric time (there is no clock for it)"
        raise CLIError(msg)
    if now < trained_at:
        msg = (f"argument --now: {args.now or now} is before --trained-at "
               f"{args.trained_at}; the model cannot be younger than zero")
        raise CLIError(msg)
    line = decide(rec, trained_at, now)
    if key is not None:  # several metrics or segments: the one that decided
        line["metric"], line["segment"] = key
    print(json.dumps(line, allow_nan=False))
    return int(line["exit_code"])
