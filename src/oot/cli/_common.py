"""What every ``oot`` command shares: the one-line error, the argument types, reading a
data file, warnings as lines, and printing a recommendation."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn, TextIO

from oot._validation import OOTWarning

EXIT_USAGE = 2


class CLIError(Exception):
    """An input problem reported as one ``oot: error:`` line and exit status 2."""


class LeakageWarning(OOTWarning):
    """A feature almost determines the target: perhaps it leaks the label."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (no usage block)."""

    def error(self, message: str) -> NoReturn:
        raise CLIError(message)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _length(text: str) -> str | int | float:
    """A window length: a number for numeric time, else the pandas string (``"30D"``)."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _anchors(text: str) -> int | list[str]:
    """``--anchors``: a whole number is how many anchors; anything else is a
    comma-separated list of cutoffs (dates, or numbers for numeric time)."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    cutoffs = [c.strip() for c in text.split(",") if c.strip()]
    if not cutoffs:
        msg = f"expected a number of anchors or comma-separated cutoffs, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return cutoffs


def _fraction(text: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        msg = f"not a number: {text!r}"
        raise argparse.ArgumentTypeError(msg) from exc


@contextlib.contextmanager
def _warnings_as_lines(stream: TextIO) -> Iterator[None]:
    """Show warnings as one ``oot: warning:`` line each."""
    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        print(f"oot: warning: {_one_line(str(message))}", file=stream)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield


def _read_table(path_text: str) -> Any:
    import pandas as pd

    path = Path(path_text)
    if not path.exists():
        msg = f"file not found: {path_text}"
        raise CLIError(msg)
    if path.is_dir():
        msg = f"{path_text} is a folder, not a data file"
        raise CLIError(msg)
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        import importlib.util

        if importlib.util.find_spec("pyarrow") is None:
            msg = ("reading Parquet needs pyarrow, which is not installed: "
                   "pip install 'oot[parquet]' (or save the data as CSV)")
            raise CLIError(msg)
        return pd.read_parquet(path)
    if name.endswith((".pkl", ".pickle")):
        msg = "pickle files are not read (they can run code); save the data as CSV"
        raise CLIError(msg)
    sep = "\t" if name.endswith((".tsv", ".tsv.gz")) else ","
    try:
        return pd.read_csv(path, sep=sep)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"could not read {path_text} as CSV: {_one_line(str(exc))}"
        raise CLIError(msg) from exc


def _task(metric: Any, y: Any) -> str:
    import pandas as pd

    if metric.task in ("binary", "classification"):
        return "classification"
    if metric.task == "regression":
        return "regression"
    numeric = pd.api.types.is_float_dtype(y)
    return "regression" if numeric and y.nunique() > 20 else "classification"


def _parse_json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = (f"argument --model-params: invalid JSON {text!r}: {exc}. Write a JSON "
               "object with double-quoted keys, e.g. '{\"alpha\": 0.5}'")
        raise CLIError(msg) from exc
    if not isinstance(value, dict):
        msg = (f"argument --model-params: expected a JSON object like "
               f"'{{\"max_depth\": 3}}', got {type(value).__name__} {text!r}")
        raise CLIError(msg)
    return value


def _summary_lines(rec: Any, seconds: float) -> list[str]:
    import oot._format as fmt

    if hasattr(rec, "binding_key"):  # several metrics or segments
        return _summary_lines_several(rec, seconds)
    ev = rec.evaluation
    kind = rec.time_kind
    gib = rec.metric.greater_is_better
    unit = fmt.time_unit(rec)
    ci = f"{fmt.level(rec.confidence_level)} CI {fmt.interval_ci_range(rec)}"
    lines = [
        f"  status           {rec.status}",
        f"  interval         {fmt.age(rec.interval, kind, unit=unit)}  ({ci})",
        f"  {fmt.metric_name(rec.metric):<16} baseline {fmt.number(rec.baseline)}, "
        f"threshold {fmt.number(rec.threshold)} "
        f"({fmt.tolerance_signed(rec.tolerance, rec.tolerance_type, gib)})",
        f"  curve            {rec.curve.family} (trend p = "
        f"{fmt.pvalue(rec.curve.trend_pvalue)})",
        f"  evaluated        {ev.n_anchors} anchors, {ev.n_usable} usable windows, ages "
        f"up to {fmt.age(rec.max_age, kind, unit=unit)}",
        f"  time             {seconds:.1f} s",
    ]
    if rec.cost_optimal_interval is not None:
        lines.insert(2, "  cost-optimal     "
                     f"{fmt.age(rec.cost_optimal_interval, kind, unit=unit)}")
    return lines


def _summary_lines_several(recs: Any, seconds: float) -> list[str]:
    """The table of every metric and segment (:meth:`RetrainRecommendations.summary`),
    the fastest segment of each metric, what was evaluated and the time."""
    import oot._format as fmt

    ev = recs.evaluation
    table = recs.summary().reset_index().to_string(index=False)
    lines = ["  " + line for line in table.splitlines()]
    if len(recs.segments) > 1:
        lines.append("")
        lines.extend(f"  {m}: {recs.fastest_sentence(m)}" for m in recs.metrics)
    first = recs.items[0]
    lines += [
        "",
        f"  evaluated        {ev.n_anchors} anchors, {len(ev.metric_names)} metric(s), "
        f"{len(ev.segment_labels)} segment(s), ages up to "
        f"{fmt.age(first.max_age, first.time_kind)}",
        f"  time             {seconds:.1f} s",
    ]
    return lines


def _backtest_lines(bt: Any) -> list[str]:
    """The History block: the sentence, then one line per notable cadence (every step,
    the recommended and the best one, never retraining)."""
    import oot._format as fmt

    t = bt.summary_table
    picks: list[int] = [1]
    for flag in ("recommended", "best"):
        hit = [int(k) for k in t.loc[t[flag], "steps"]]
        if hit and hit[0] not in picks:
            picks.append(hit[0])
    if 0 not in picks:
        picks.append(0)
    rate = "retrains/year" if bt.time_kind == "datetime" else "retrains/unit"
    cost = "cost_rate" in t.columns
    n = bt.n_periods
    head = (f"  {'cadence (' + str(n) + ' ' + bt.period_noun + ')':<30} "
            f"{'within tol. of baseline':>24} {'of fresh model':>15} {rate:>14}")
    if cost:
        head += f" {'cost ' + fmt.cost_rate_label(bt.time_kind):>17}"
    lines = [head]
    for k in picks:
        row = t.loc[t["steps"] == k].iloc[0]
        name = fmt.every(str(row["cadence"]), bt.time_kind)
        marks = [m for m in ("recommended", "best") if bool(row[m])]
        label = name + (f" ({', '.join(marks)})" if marks else "")
        line = (f"  {label:<30} {_periods(float(row['within_tolerance']) * n):>24} "
                f"{_periods(float(row['within_fresh']) * n):>15} "
                f"{float(row[bt.rate_column]):>14.3g}")
        if cost:
            line += f" {fmt.number(float(row['cost_rate'])):>17}"
        lines.append(line)
    if bt.oracle is not None:
        o = bt.oracle
        lines.append(f"  {'best schedule in hindsight':<30} "
                     f"{_periods(o.within_tolerance * n):>24} "
                     f"{_periods(o.within_fresh * n):>15} {o.retrains_per_year:>14.3g} "
                     f"{fmt.number(o.cost_rate):>17}")
    return lines


def _periods(count: float) -> str:
    """A count of periods: whole, or with one decimal (an average over phases)."""
    return f"{count:.0f}" if abs(count - round(count)) < 1e-9 else f"{count:.1f}"


def _emit(rec: Any, out: str, args: argparse.Namespace, seconds: float,
          header: str | None, *, backtest: bool = False, indicators: bool = False) -> None:
    """Write the report and print the result; ``backtest=True`` also backtests the
    recommendation (an evaluation that cannot be backtested is an error) and prints
    whether history agrees; ``indicators=True`` ranks the evaluation's leading
    indicators (:func:`oot.report.recommendation_indicators`) and prints the sentence."""
    from oot.report import recommendation_indicators, save_report

    bt = rec.backtest() if backtest else None
    ir = recommendation_indicators(rec) if indicators else None
    folder = save_report(rec, out, backtest=bt, indicators=ir if ir is not None else False)
    if args.json:
        print(json.dumps(_flat_output(rec, folder, bt, ir), allow_nan=False))
        return
    if getattr(args, "quiet", False):
        print(str(rec))
        return
    if header:
        print(header)
    print()
    print(str(rec))
    print()
    print("\n".join(_summary_lines(rec, seconds)))
    if bt is not None:
        print()
        print(f"History: {bt}")
        print()
        print("\n".join(_backtest_lines(bt)))
    if ir is not None:
        print()
        print(f"Leading indicators: {ir}")
    print()
    print(f"Report written to {folder / 'index.html'}")


def _check_out(args: argparse.Namespace) -> None:
    """Refuse a bad ``--out`` before the analysis runs (a report never replaces a folder
    holding anything but an earlier report: ``--out .`` next to the data is refused)."""
    from oot.report import check_destination

    check_destination(args.out, param="--out", func=f"oot {args.command}")


def _flat_output(rec: Any, folder: Path, bt: Any, ir: Any = None) -> dict[str, Any]:
    """``--json``: the flat record (:mod:`oot._flat`), where the exact files are, the
    backtest's verdict and the leading indicators' summary (null without them)."""
    from oot._flat import (
        deciding_item,
        indicator_record,
        recommendation_record,
        recommendations_record,
    )

    if hasattr(rec, "binding_key"):  # several metrics or segments (no backtest, no ranking)
        out = recommendations_record(rec)
        out.update(indicator_record(None, deciding_item(rec)))
        exact = "recommendations.json"
    else:
        out = recommendation_record(rec)
        out.update(indicator_record(ir, rec))
        exact = "recommendation.json"
    out["recommendation_file"] = str(folder / exact)
    out["report_file"] = str(folder / "index.html")
    out["backtest"] = None if bt is None else str(bt)
    out["backtest_best_cadence"] = None if bt is None else bt.best_cadence
    out["exit_code"] = 0
    return out


def _progress(args: argparse.Namespace) -> bool:
    return not args.no_progress and not args.json and sys.stderr.isatty()


def _is_numeric(col: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col))
