"""A self-contained report folder for a recommendation: HTML, JSON and the figures.

:func:`save_report` writes ``index.html`` (figures embedded, so the one file can be
mailed or attached to a ticket), ``recommendation.json`` (the exact, machine-readable
result) and ``degradation.png`` / ``heatmap.png``, and when the evaluation allows a
policy backtest, ``backtest.png`` / ``backtest_realized.png``, and when the evaluation
carries leading indicators, ``indicators.png``. The folder is built next to its
destination and renamed into place, so an interrupted run never leaves half-written
files and a report written over an old one never mixes old and new files. A report
replaces only a report: a mark in the folder (``.oot-report.json``) lists the files it
wrote, and a folder holding anything else is refused, never emptied.
:func:`save_comparison_report` writes the same kind of folder for a comparison of
candidates.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import io
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import oot._format as fmt
from oot import __version__
from oot._validation import (
    InvalidParameterError,
    OOTWarning,
    calling,
    param_message,
    warn,
)
from oot.backtest import CadenceBacktest, backtest_problem
from oot.compare import CandidateComparison
from oot.evaluate._result import ALL_SEGMENTS
from oot.indicators import IndicatorReport, rank_indicators
from oot.plotting import (
    AgingHeatmapDisplay,
    BacktestDisplay,
    ComparisonDisplay,
    DegradationDisplay,
    RecommendationsDisplay,
)
from oot.recommend import RetrainRecommendation, RetrainRecommendations

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["save_report", "check_destination", "REPORT_FILES", "BACKTEST_FILES",
           "INDICATOR_FILES", "REPORT_MARK", "save_comparison_report", "COMPARISON_FILES",
           "COLLECTION_FILES", "recommendation_indicators"]

#: The files a report folder holds (the last two only with a backtest section).
REPORT_FILES = ("index.html", "recommendation.json", "degradation.png", "heatmap.png",
                "backtest.png", "backtest_realized.png")
#: The figures of the backtest section.
BACKTEST_FILES = ("backtest.png", "backtest_realized.png")
#: The figure of the leading-indicators section (besides :data:`REPORT_FILES`).
INDICATOR_FILES = ("indicators.png",)
#: The file that marks a folder as an oot report: the files it wrote and their SHA-256.
REPORT_MARK = ".oot-report.json"

_FUNC = "save_report"
_DPI = 110


def save_report(
    recommendation: RetrainRecommendation | RetrainRecommendations,
    directory: str | os.PathLike[str],
    *,
    overwrite: bool = True,
    backtest: CadenceBacktest | bool | None = None,
    indicators: IndicatorReport | bool | None = None,
) -> Path:
    """Write a report folder for a recommendation, atomically.

    The folder holds ``index.html`` (self-contained: the sentence, the figures embedded
    as base64 PNG, the summary, the method in plain words, the data's span and the
    per-window table), ``recommendation.json`` (``recommendation.to_json(indent=2)``,
    read back with :meth:`oot.RetrainRecommendation.from_json`), ``degradation.png`` and
    ``heatmap.png``, and ``.oot-report.json``, the mark that says the folder is an oot
    report and which files it wrote (with their SHA-256). A section "History" says
    whether the recommendation would have kept the metric within tolerance on the
    evaluation's own periods (the policy backtest,
    :meth:`oot.RetrainRecommendation.backtest`), with ``backtest.png`` (the cost or the
    share within tolerance of every cadence) and ``backtest_realized.png``
    (the realized scores over time). A section "Leading indicators" says which
    label-free signal warned before the metric crossed the tolerance
    (:func:`oot.rank_indicators`): its sentence, the best-ranked indicators' figures as
    a table and ``indicators.png`` (the top indicators and the score against age).

    Everything is written into a temporary folder beside ``directory`` and then renamed
    into place. An error midway leaves any existing report untouched. A report only
    ever replaces a report: ``directory`` may be missing, an empty folder, or a folder
    holding nothing but an earlier report's files, unchanged since oot wrote them. Any
    other folder is refused before anything is written, so no file oot did not write is
    ever deleted or replaced. A symbolic link to a folder is written through (the link
    stays; the folder it points to receives the report). New folders get the usual
    permissions (the process' umask); a replaced folder keeps its own.

    A :class:`~oot.RetrainRecommendations` (several metrics or segments) gets a page
    that leads with the one that decides the cadence, a summary of every metric and
    segment, and a section per metric: its segments ranked by interval (chart and
    table, the fastest against the slowest with a paired CI) and their curves as small
    multiples (``segments_<metric>.png``, ``curves_<metric>.png``), with
    ``recommendations.json`` for the exact result (``backtest`` is not used).

    Parameters
    ----------
    recommendation : RetrainRecommendation or RetrainRecommendations
        From :func:`oot.recommend_retrain_interval`.
    directory : str or path-like
        The report folder. Its parent folders are created if needed.
    overwrite : bool, default=True
        Replace an existing report. With False, an existing ``directory`` is an error.
    backtest : CadenceBacktest, bool or None, default=None
        The History section: None backtests the recommendation when its evaluation
        allows it (at least 3 anchors a whole number of windows apart) and otherwise
        says why not; True requires it (an evaluation that cannot be backtested is an
        error); False leaves the section out; a :class:`~oot.CadenceBacktest` (from
        ``recommendation.backtest(...)``, say with other cadences or costs) is shown as
        given.
    indicators : IndicatorReport, bool or None, default=None
        The Leading indicators section: None ranks the evaluation's indicators when it
        carries some (``evaluate_out_of_time(..., indicators=True)``) with
        :func:`recommendation_indicators` (the recommendation's tolerance, baseline,
        curve family and reference) and otherwise leaves the section out; True
        requires them (an evaluation without indicators is an error); False leaves the
        section out; an :class:`~oot.IndicatorReport` (from
        ``oot.rank_indicators(...)``, say with other levels or shares) is shown as
        given.

    Returns
    -------
    pathlib.Path
        The report folder (absolute, as given: a link is not resolved).

    Raises
    ------
    InvalidParameterError
        ``directory`` is empty text, a file, a link to nothing, the working directory,
        a folder holding files that are not an unchanged oot report, or exists while
        ``overwrite`` is False.

    See Also
    --------
    oot.RetrainRecommendation.to_json, oot.plotting.DegradationDisplay

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from oot.datasets import make_degradation_scores
    >>> from oot.recommend import recommend_retrain_interval
    >>> from oot.report import save_report
    >>> ev = make_degradation_scores(random_state=0).to_evaluation()
    >>> rec = recommend_retrain_interval(ev, n_bootstrap=100, random_state=0)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = save_report(rec, pathlib.Path(tmp) / "report")
    ...     sorted(p.name for p in out.iterdir())
    ['.oot-report.json', 'backtest.png', 'backtest_realized.png', 'degradation.png',
     'heatmap.png', 'index.html', 'recommendation.json']
    """
    if not isinstance(recommendation, (RetrainRecommendation, RetrainRecommendations)):
        raise InvalidParameterError(param_message(
            "recommendation", _FUNC, "a RetrainRecommendation or RetrainRecommendations",
            type(recommendation).__name__))
    if not isinstance(overwrite, (bool, np.bool_)):
        raise InvalidParameterError(param_message("overwrite", _FUNC, "a bool", overwrite))
    if not (backtest is None or isinstance(backtest, (bool, np.bool_, CadenceBacktest))):
        raise InvalidParameterError(param_message(
            "backtest", _FUNC, "None, a bool or a CadenceBacktest",
            type(backtest).__name__))
    if not (indicators is None
            or isinstance(indicators, (bool, np.bool_, IndicatorReport))):
        raise InvalidParameterError(param_message(
            "indicators", _FUNC, "None, a bool or an IndicatorReport",
            type(indicators).__name__))
    if isinstance(recommendation, RetrainRecommendations) and (
            indicators is True or isinstance(indicators, IndicatorReport)):
        raise InvalidParameterError(param_message(
            "indicators", _FUNC, "None or False for several recommendations",
            type(indicators).__name__, "The leading indicators are ranked against one "
            "recommendation: report one of them (its metric and segment) with them."))
    if indicators is True and recommendation.evaluation.indicators is None:
        raise InvalidParameterError(param_message(
            "indicators", _FUNC, "None or False for an evaluation without indicators",
            True, "Evaluate with evaluate_out_of_time(..., indicators=True) first."))
    given, real, old = check_destination(directory, overwrite=bool(overwrite))
    parent = real.parent
    parent.mkdir(parents=True, exist_ok=True)

    staging = _new_folder(parent, f".{real.name}.tmp-")
    try:
        if old is not None:
            shutil.copymode(real, staging)  # a replaced folder keeps its permissions
        if isinstance(recommendation, RetrainRecommendations):
            _write_collection_files(recommendation, staging)
        else:
            bt, problem = _resolve_backtest(recommendation, backtest)
            ir = (indicators if isinstance(indicators, IndicatorReport)
                  else recommendation_indicators(recommendation)
                  if indicators is not False and recommendation.evaluation.indicators
                  is not None else None)
            _write_files(recommendation, staging, bt, problem, ir)
        _swap_into_place(staging, real, old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return given


def check_destination(
    directory: Any,
    *,
    overwrite: bool = True,
    param: str = "directory",
    func: str = _FUNC,
) -> tuple[Path, Path, tuple[str, ...] | None]:
    """Check that a report may be written to ``directory``, before any work is done.

    Returns the folder as given (absolute), the real folder (symbolic links resolved:
    the report is written through them) and, when the real folder exists, the names of
    the files the earlier report wrote there (``()`` for an empty folder; None when it
    does not exist). The command line calls this before its analysis, so that a bad
    ``--out`` fails at once; :func:`save_report` calls it again when it writes.

    Raises
    ------
    InvalidParameterError
        As :func:`save_report` says.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from oot.report import check_destination
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "data.csv").write_text("t,y")
    >>> check_destination(tmp / "report")[2] is None  # a new folder: nothing to replace
    True
    >>> check_destination(tmp)
    Traceback (most recent call last):
    ...
    oot._validation.InvalidParameterError: The 'directory' parameter of save_report must be
    a new or empty folder, or one holding only an oot report. Got ... It holds 'data.csv',
    which oot did not write (or which changed since), and a report never replaces those. ...
    >>> import shutil; shutil.rmtree(tmp)
    """
    if not isinstance(directory, (str, os.PathLike)):
        raise InvalidParameterError(param_message(
            param, func, "a path (str or os.PathLike)", type(directory).__name__))
    text = os.fspath(directory)
    if not isinstance(text, str) or not text.strip():
        raise InvalidParameterError(param_message(
            param, func, "a folder path (not empty text)", text,
            "Name the report folder, e.g. 'oot-report'; an empty path would mean the "
            "working directory."))
    given = Path(text).expanduser().absolute()
    if given.is_symlink() and not given.exists():
        raise InvalidParameterError(param_message(
            param, func, "a folder path", str(given),
            f"It is a symbolic link to {os.readlink(given)!r}, which does not exist. "
            "Create that folder, or remove the link."))
    real = Path(os.path.realpath(given))
    if real.exists() and not real.is_dir():
        raise InvalidParameterError(param_message(
            param, func, "a folder path", str(given),
            "A file of that name exists; choose another name."))
    if not real.exists():
        return given, real, None
    if not overwrite:
        raise InvalidParameterError(param_message(
            param, func, "a folder that does not exist yet when overwrite=False",
            str(given), "Pass overwrite=True to replace it, or choose another folder."))
    if real == Path(os.path.realpath(os.getcwd())):
        raise InvalidParameterError(param_message(
            param, func, "a folder other than the working directory", str(given),
            "Writing a report replaces its folder as a whole; name a subfolder instead, "
            "e.g. 'oot-report'."))
    owned, foreign = _report_files(real)
    if foreign:
        shown = ", ".join(repr(f) for f in foreign[:5])
        if len(foreign) > 5:
            shown += f", ... ({len(foreign)} in all)"
        unmarked = (not owned and set(foreign) <= set(REPORT_FILES)
                    and "recommendation.json" in foreign)
        why = (" It looks like a report written before oot marked its report folders "
               f"(with {REPORT_MARK}); oot cannot tell it from files of yours of the same "
               "names." if unmarked else "")
        raise InvalidParameterError(param_message(
            param, func, "a new or empty folder, or one holding only an oot report",
            str(given),
            f"It holds {shown}, which oot did not write (or which changed since), and a "
            f"report never replaces those.{why} Choose another folder, or move them out "
            "of it (delete the folder yourself) to write the report there."))
    return given, real, owned


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _report_files(folder: Path) -> tuple[tuple[str, ...], list[str]]:
    """The entries of ``folder`` an earlier report wrote, and all the others (sorted).

    A report's files are those its mark lists, unchanged since (same SHA-256). Without
    a mark nothing is a report's: a folder written before reports were marked cannot be
    told from a user's files of the same names, so it is refused too.
    """
    names = sorted(p.name for p in folder.iterdir())
    mark = folder / REPORT_MARK
    listed: dict[str, str] = {}
    if mark.is_file() and not mark.is_symlink():
        try:
            doc = json.loads(mark.read_text(encoding="utf-8"))
            files = doc.get("files") if isinstance(doc, dict) else None
            if isinstance(files, dict):
                listed = {str(k): str(v) for k, v in files.items()}
        except (OSError, ValueError):
            listed = {}
    if not listed:
        return (), names
    owned = [REPORT_MARK] + [
        n for n in names if n in listed and n != REPORT_MARK
        and (folder / n).is_file() and not (folder / n).is_symlink()
        and _digest(folder / n) == listed[n]]
    return tuple(owned), [n for n in names if n not in owned]


def _new_folder(parent: Path, prefix: str) -> Path:
    """A new, uniquely named folder in ``parent``, with the umask's permissions.

    (:func:`tempfile.mkdtemp` would make it private, mode 0700, and the report folder
    it becomes would stay so.)
    """
    while True:
        path = parent / f"{prefix}{uuid.uuid4().hex[:8]}"
        try:
            path.mkdir()
        except FileExistsError:  # pragma: no cover - a collision of 32 random bits
            continue
        return path


def _swap_into_place(staging: Path, target: Path, old: tuple[str, ...] | None) -> None:
    """Rename ``staging`` to ``target``; an existing ``target`` is moved aside first and
    restored if the final rename fails. Of the old folder, only the files the earlier
    report wrote (``old``) are deleted; anything that appeared there meanwhile is left
    in the moved-aside folder, with a warning."""
    if old is None:
        staging.rename(target)
        return
    backup = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
    while backup.exists():  # pragma: no cover - a collision of 32 random bits
        backup = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
    target.rename(backup)
    try:
        staging.rename(target)
    except BaseException:
        backup.rename(target)
        raise
    for name in old:
        with contextlib.suppress(FileNotFoundError):
            (backup / name).unlink()
    try:
        backup.rmdir()
    except OSError:
        left = sorted(p.name for p in backup.iterdir())
        warn(f"save_report left {backup} in place: files appeared in the old report "
             f"folder while the new one was written ({', '.join(left[:5])}), and a "
             "report never deletes files it did not write.", OOTWarning, stacklevel=3)


# ----------------------------------------------------------------------------- content
def _resolve_backtest(rec: RetrainRecommendation, backtest: CadenceBacktest | bool | None,
                      ) -> tuple[CadenceBacktest | None, str | None]:
    """The History section's backtest, or why there is none (None, None: no section)."""
    if isinstance(backtest, CadenceBacktest):
        return backtest, None
    if backtest is False:
        return None, None
    problem = None if backtest is True else backtest_problem(rec.evaluation)
    if problem is not None:
        return None, problem
    return rec.backtest(), None


def recommendation_indicators(rec: RetrainRecommendation) -> IndicatorReport:
    """:func:`oot.rank_indicators` on a recommendation's evaluation, with the
    recommendation's tolerance, tolerance type, baseline (its value), curve family and
    reference: the leading indicators the report shows, and ``oot analyze
    --indicators`` prints.

    The lead is measured against the age at which that family, refitted to the scores,
    crosses the recommendation's threshold.

    Examples
    --------
    >>> import oot
    >>> from sklearn.linear_model import LogisticRegression
    >>> from oot.report import recommendation_indicators
    >>> sim = oot.datasets.make_indicator_data(6000, random_state=0)
    >>> ev = oot.evaluate_out_of_time(
    ...     sim.frame, LogisticRegression(), target=sim.target, time=sim.time,
    ...     train_window="90D", eval_window="30D", anchors=6,
    ...     indicators=["psi:x_cause", "psi:x_noise"])
    >>> rec = oot.recommend_retrain_interval(ev, tolerance=0.05, n_bootstrap=50,
    ...                                      random_state=0)
    >>> report = recommendation_indicators(rec)
    >>> report.threshold == rec.threshold, sorted(report.indicators)
    (True, ['psi:x_cause', 'psi:x_noise'])
    """
    with calling(_FUNC):
        return rank_indicators(
            rec.evaluation, tolerance=rec.tolerance, tolerance_type=rec.tolerance_type,
            baseline=float(rec.baseline), curve=rec.curve.family,
            reference=rec.curve.reference)


def _write_files(rec: RetrainRecommendation, folder: Path,
                 bt: CadenceBacktest | None = None, problem: str | None = None,
                 ir: IndicatorReport | None = None) -> None:
    figures = render_figures(rec, backtest=bt, indicators=ir)
    for name, png in figures.items():
        (folder / name).write_bytes(png)
    (folder / "recommendation.json").write_text(rec.to_json(indent=2), encoding="utf-8")
    (folder / "index.html").write_text(
        build_html(rec, figures, backtest=bt, backtest_problem=problem, indicators=ir),
        encoding="utf-8")
    mark = {"written_by": f"oot {__version__}",
            "files": {p.name: _digest(p) for p in sorted(folder.iterdir())}}
    (folder / REPORT_MARK).write_text(json.dumps(mark, indent=2), encoding="utf-8")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, facecolor="white")
    return buf.getvalue()


def render_figures(rec: RetrainRecommendation, *, backtest: CadenceBacktest | None = None,
                   indicators: IndicatorReport | None = None) -> dict[str, bytes]:
    """The report's figures as PNG bytes: ``degradation.png`` and ``heatmap.png``, with
    a ``backtest`` its two charts, ``backtest.png`` and ``backtest_realized.png``, and
    with ``indicators`` their chart, ``indicators.png``.

    Drawn on stand-alone :class:`matplotlib.figure.Figure` objects (no pyplot, no
    global state), so this works in any backend and any thread.

    Examples
    --------
    >>> from oot.datasets import make_degradation_scores
    >>> from oot.recommend import recommend_retrain_interval
    >>> from oot.report import render_figures
    >>> ev = make_degradation_scores(random_state=0).to_evaluation()
    >>> rec = recommend_retrain_interval(ev, n_bootstrap=100, random_state=0)
    >>> pngs = render_figures(rec)
    >>> sorted(pngs), pngs["heatmap.png"][:4] == b"\\x89PNG"
    (['degradation.png', 'heatmap.png'], True)
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10.0, 6.2), layout="constrained")
    DegradationDisplay.from_recommendation(rec, ax=fig.add_subplot())
    out = {"degradation.png": _png(fig)}
    fig = Figure(figsize=(10.0, 4.8), layout="constrained")
    AgingHeatmapDisplay.from_evaluation(rec.evaluation, ax=fig.add_subplot())
    out["heatmap.png"] = _png(fig)
    if backtest is not None:
        for name, kind in zip(BACKTEST_FILES, ("tradeoff", "realized"), strict=True):
            fig = Figure(figsize=(10.0, 5.6), layout="constrained")
            BacktestDisplay.from_backtest(backtest, kind=kind, ax=fig.add_subplot())
            out[name] = _png(fig)
    if indicators is not None and indicators.indicators:
        out[INDICATOR_FILES[0]] = _indicator_png(indicators)
    return out


#: How many indicators the section's figure draws and its table lists.
_INDICATOR_PANELS = 4
_INDICATOR_ROWS = 8
#: The columns of :meth:`IndicatorReport.summary` the section's table shows.
_INDICATOR_COLUMNS = ("rank", "indicator", "correlation", "trigger_level", "lead",
                      "n_warned", "n_crossed", "n_false_alarms", "within_test",
                      "retrains_test", "fixed_needed_retrains", "recommended")


def _indicator_png(ir: IndicatorReport) -> bytes:
    """The top indicators and the score against age, two panels a row."""
    from matplotlib.figure import Figure

    n = min(_INDICATOR_PANELS, len(ir.indicators))
    ncols = 1 if n == 1 else 2
    nrows = -(-n // ncols)
    fig = Figure(figsize=(10.0, 0.4 + 3.3 * nrows), layout="constrained")
    grid = fig.subplots(nrows, ncols, squeeze=False)
    flat = list(grid.ravel())
    for extra in flat[n:]:
        extra.set_visible(False)
    ir.plot(top=n, ax=flat[:n])
    return _png(fig)


def _table(frame: pd.DataFrame, index: bool = False) -> str:
    cols = list(frame.columns)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in ([""] if index else []) + cols)
    rows = []
    for idx, r in frame.iterrows():
        cells = [f"<th>{html.escape(str(idx))}</th>"] if index else []
        cells += [f"<td>{html.escape(fmt.cell(r[c]))}</td>" for c in cols]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _summary(rec: RetrainRecommendation) -> pd.DataFrame:
    """``rec.summary()`` for the page: a CI end beyond the data says so, as the sentence
    does, instead of an empty cell."""
    summary = rec.summary()
    summary.index.name = None
    beyond = f"beyond {fmt.age(rec.max_age, rec.time_kind, unit=fmt.time_unit(rec))}"
    level = fmt.level(rec.confidence_level)
    for key in (f"ci_low ({level})", f"ci_high ({level})"):
        if key in summary.index and summary.loc[key, "value"] is None:
            summary.loc[key, "value"] = beyond
    unit = fmt.time_unit(rec)
    if rec.time_kind == "numeric" and unit:  # numeric ages with their unit: "6.9 years"
        ages = ("interval", f"ci_low ({level})", f"ci_high ({level})", "safe_interval",
                "oldest_age", "extrapolated_interval", "cost_optimal_interval")
        for key in ages:
            v = summary.loc[key, "value"] if key in summary.index else None
            if isinstance(v, int | float) and not isinstance(v, bool):
                summary.loc[key, "value"] = fmt.age(v, "numeric", unit=unit)
    return summary


def _plain(v: Any) -> str:
    return "none" if v is None else html.escape(str(v))


def _method(rec: RetrainRecommendation) -> str:
    """The Method section: :func:`oot._format.method`, its defined terms in italics."""
    items = fmt.method(rec, emph=lambda s: f"<i>{s}</i>", esc=html.escape)
    return "<ul>" + "".join(f"<li><b>{html.escape(item.title)}.</b> {item.text}</li>"
                            for item in items) + "</ul>"


def _data_section(rec: RetrainRecommendation) -> str:
    ev = rec.evaluation
    info = ev.data_info
    parts = []
    if info:
        col = info.get("time_column")
        parts.append(
            f"<p>{_plain(info.get('n_rows'))} rows"
            + (f", time column <code>{html.escape(str(col))}</code>" if col else "")
            + f", from {html.escape(fmt.cell(info.get('time_min')))} to "
            f"{html.escape(fmt.cell(info.get('time_max')))}.</p>")
    features = ev.params.get("features")
    if features:  # what the model was fitted on
        target = ev.params.get("target")
        parts.append(
            f"<p>Features ({len(features)}): "
            + ", ".join(f"<code>{html.escape(str(f))}</code>" for f in features)
            + (f"; target <code>{html.escape(str(target))}</code>" if target else "")
            + ".</p>")
    anchors = ev.anchors
    if len(anchors) and "n_train" in anchors:
        cols = [c for c in ("anchor", "train_start", "cutoff", "n_train", "status")
                if c in anchors]
        parts.append(_table(anchors[cols]))
    s = ev.scores
    n_ok = ev.n_usable
    left_out = s.loc[s["status"] != "ok", "status"].value_counts()
    if n_ok == len(s):
        parts.append(f"<p>{len(s)} anchor x window scores, all usable.</p>")
    else:
        why = (f": {fmt.window_status_counts(left_out, ev.params.get('min_window_size'))}"
               if len(left_out) else "")
        parts.append(f"<p>{len(s)} anchor x window scores, {n_ok} usable "
                     f"({len(s) - n_ok} left out{html.escape(why)}).</p>")
    return "".join(parts)


_CSS = """
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,
sans-serif;color:#1d1d1f;max-width:1040px;margin:2em auto;padding:0 1.2em;line-height:1.5}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em;
border-bottom:1px solid #ddd;padding-bottom:.2em}
.sentence{font-size:1.2em;background:#f4f7fb;border-left:5px solid #2b6cb0;
padding:.8em 1em;margin:1em 0}
.status{display:inline-block;font-size:.8em;padding:.1em .6em;border-radius:1em;
color:white;background:#2b6cb0;vertical-align:middle}
.status.crossed{background:#c0392b}.status.not_reached{background:#d68910}
.status.no_degradation{background:#1e8449}
img{max-width:100%;height:auto;border:1px solid #eee}
table{border-collapse:collapse;font-size:.88em;margin:.6em 0}
th,td{border-bottom:1px solid #e5e5e5;padding:.25em .7em;text-align:right}
th{background:#fafafa}td:first-child,th:first-child{text-align:left}
details summary{cursor:pointer;color:#2b6cb0}
.muted{color:#777;font-size:.85em}
.indicators td{white-space:nowrap}
.indicators td:nth-child(2),.indicators th:nth-child(2){text-align:left}
"""


def _backtest_section(bt: CadenceBacktest | None, problem: str | None,
                      figures: dict[str, bytes]) -> str:
    """The History section: does the recommended cadence hold on the evaluation's own
    periods, the charts, the per-cadence table and how it was computed."""
    if bt is None and problem is None:
        return ""
    if bt is None:
        assert problem is not None
        return (f"<h2>History</h2>\n<p>{html.escape(fmt.history_not_checked(problem))} "
                "A backtest replays, for every retraining cadence, which of the anchors' "
                "models would have been in service in each calendar period.</p>")
    parts = ["<h2>History: what each cadence would have delivered</h2>"]
    parts.append(f'<p class="sentence">{html.escape(str(bt))}</p>')
    captions = {
        "backtest.png": fmt.backtest_caption(bt, "tradeoff"),
        "backtest_realized.png": fmt.backtest_caption(bt, "realized"),
    }
    for name in BACKTEST_FILES:
        if name in figures:
            b64 = base64.b64encode(figures[name]).decode("ascii")
            parts.append(f'<figure><img alt="{name}" src="data:image/png;base64,{b64}">'
                         f"<figcaption class='muted'>{html.escape(captions[name])}"
                         "</figcaption></figure>")
    cols = [c for c in ("cadence", "mean_score", "worst_score", "within_tolerance",
                        "within_fresh", bt.rate_column, "cost_rate", "regret", "best",
                        "recommended") if c in bt.summary_table.columns]
    table = bt.summary()[cols]
    parts.append(f"<details><summary>Every cadence ({len(table)})</summary>"
                 f"{_table(table)}</details>")
    parts.append("<ul>" + "".join(f"<li><b>{html.escape(item.title)}.</b> "
                                  f"{html.escape(item.text)}</li>"
                                  for item in fmt.backtest_method(bt)) + "</ul>")
    return "\n".join(parts)


def _indicators_section(ir: IndicatorReport | None, figures: dict[str, bytes]) -> str:
    """The Leading indicators section: the sentence, the figure, the best-ranked rows of
    the summary (all of them folded below) and how they were computed."""
    if ir is None:
        return ""
    parts = ["<h2>Leading indicators: what warned before the metric fell</h2>",
             f'<p class="sentence">{html.escape(str(ir))}</p>']
    name = INDICATOR_FILES[0]
    if name in figures:
        parts.append(_img(name, figures[name], fmt.indicator_caption(ir)))
    table = ir.summary()[list(_INDICATOR_COLUMNS)]
    if ir.time_kind == "numeric":
        table["lead"] = [fmt.age(v, "numeric") for v in table["lead"]]
    # the summary's column names, free to wrap; the cells (ages, numbers) are not
    table.columns = [c.replace("_", " ") for c in table.columns]
    parts.append(f'<div class="indicators">{_table(table.head(_INDICATOR_ROWS))}</div>')
    if len(table) > _INDICATOR_ROWS:
        parts.append(f"<details><summary>Every indicator ({len(table)})</summary>"
                     f'<div class="indicators">{_table(table)}</div></details>')
    if ir.trigger_problem:
        parts.append(f"<p class='muted'>No trigger backtest: "
                     f"{html.escape(ir.trigger_problem)}.</p>")
    parts.append("<ul>" + "".join(f"<li><b>{html.escape(item.title)}.</b> "
                                  f"{html.escape(item.text)}</li>"
                                  for item in fmt.indicators_method(ir)) + "</ul>")
    return "\n".join(parts)


def build_html(rec: RetrainRecommendation, figures: dict[str, bytes], *,
               backtest: CadenceBacktest | None = None,
               backtest_problem: str | None = None,
               indicators: IndicatorReport | None = None) -> str:
    """The report page, with ``figures`` (name -> PNG bytes) embedded as base64.

    ``backtest`` adds the History section (its figures taken from ``figures``);
    ``backtest_problem`` says instead why there is no backtest; ``indicators`` adds the
    Leading indicators section.

    Examples
    --------
    >>> from oot.datasets import make_degradation_scores
    >>> from oot.recommend import recommend_retrain_interval
    >>> from oot.report import build_html
    >>> ev = make_degradation_scores(random_state=0).to_evaluation()
    >>> rec = recommend_retrain_interval(ev, n_bootstrap=100, random_state=0)
    >>> page = build_html(rec, {})
    >>> page.startswith("<!DOCTYPE html>") and "Retrain" in page
    True
    """
    sentence = html.escape(str(rec))
    summary = _summary(rec)
    imgs = []
    captions = {
        "degradation.png": "Window scores by model age (one colour per anchor, error bars "
                           "± 1 SE), the fitted curve and its band, the baseline and "
                           "threshold, and the recommended interval with its CI.",
        "heatmap.png": "The same scores by anchor (rows) and calendar window (columns): a "
                       "column bad for every model is a hard period, not aging.",
    }
    for name in ("degradation.png", "heatmap.png"):
        if name in figures:
            b64 = base64.b64encode(figures[name]).decode("ascii")
            imgs.append(f'<figure><img alt="{name}" src="data:image/png;base64,{b64}">'
                        f"<figcaption class='muted'>{captions[name]}</figcaption></figure>")
    cols = [c for c in ("anchor", "cutoff", "window", "window_start", "window_end", "age",
                        "n", "score", "se", "status") if c in rec.evaluation.scores]
    windows = _table(rec.evaluation.scores[cols])
    status = html.escape(rec.status)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>oot report: {html.escape(fmt.metric_name(rec.metric))}</title>
<style>{_CSS}</style></head>
<body>
<h1>How often to retrain <span class="status {status}">{status.replace("_", " ")}</span></h1>
<p class="sentence">{sentence}</p>
{imgs[0] if imgs else ""}
<h2>Summary</h2>
{_table(summary, index=True)}
{_backtest_section(backtest, backtest_problem, figures)}
{_indicators_section(indicators, figures)}
<h2>Method</h2>
{_method(rec)}
<h2>Data</h2>
{_data_section(rec)}
{imgs[1] if len(imgs) > 1 else ""}
<h2>Per-window scores</h2>
<details><summary>Show all {len(rec.evaluation.scores)} windows</summary>
{windows}
</details>
<p class="muted">Written by oot {html.escape(__version__)}. The exact result is in
<code>recommendation.json</code> (read it back with
<code>oot.RetrainRecommendation.from_json</code>).</p>
</body></html>
"""


# ------------------------------------------------------------ comparison of candidates
#: The files of a comparison's report folder (besides one ``difference_<k>.png`` per
#: pair the verdict speaks of).
COMPARISON_FILES = ("index.html", "comparison.json", "curves.png")


def save_comparison_report(
    comparison: CandidateComparison,
    directory: str | os.PathLike[str],
    *,
    overwrite: bool = True,
) -> Path:
    """Write a report folder for a comparison of candidates, atomically.

    The folder holds ``index.html`` (self-contained: the verdict, the figures embedded,
    the verdict table, every pair, the method and each candidate's settings),
    ``comparison.json`` (``comparison.to_json(indent=2)``, read back with
    :meth:`oot.CandidateComparison.from_json`), ``curves.png`` (every candidate's curve)
    and ``difference_1.png``, ... (the difference curve of each pair the verdict speaks
    of). Written into a temporary folder and renamed into place, as
    :func:`save_report`.

    Parameters
    ----------
    comparison : CandidateComparison
        From :func:`oot.compare_candidates`.
    directory : str or path-like
    overwrite : bool, default=True

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.dummy import DummyRegressor
    >>> from sklearn.linear_model import LinearRegression
    >>> import oot
    >>> from oot.report import save_comparison_report
    >>> ds = oot.datasets.make_heuristic_comparison(3000, task="regression",
    ...                                             random_state=2)
    >>> cmp = oot.compare_candidates(
    ...     ds.frame, {"model": LinearRegression(), "mean": DummyRegressor()},
    ...     target=ds.target, time=ds.time, metric="mse", eval_window="90D",
    ...     anchors=3, anchor_step="90D", n_bootstrap=50, random_state=0)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = save_comparison_report(cmp, pathlib.Path(tmp) / "report")
    ...     sorted(p.name for p in out.iterdir())
    ['.oot-report.json', 'comparison.json', 'curves.png', 'difference_1.png', 'index.html']
    """
    func = "save_comparison_report"
    if not isinstance(comparison, CandidateComparison):
        raise InvalidParameterError(param_message(
            "comparison", func, "a CandidateComparison", type(comparison).__name__))
    if not isinstance(overwrite, (bool, np.bool_)):
        raise InvalidParameterError(param_message("overwrite", func, "a bool", overwrite))
    given, real, old = check_destination(directory, overwrite=bool(overwrite), func=func)
    real.parent.mkdir(parents=True, exist_ok=True)
    staging = _new_folder(real.parent, f".{real.name}.tmp-")
    try:
        if old is not None:
            shutil.copymode(real, staging)
        figures = render_comparison_figures(comparison)
        for name, png in figures.items():
            (staging / name).write_bytes(png)
        (staging / "comparison.json").write_text(comparison.to_json(indent=2),
                                                 encoding="utf-8")
        (staging / "index.html").write_text(build_comparison_html(comparison, figures),
                                            encoding="utf-8")
        mark = {"written_by": f"oot {__version__}",
                "files": {p.name: _digest(p) for p in sorted(staging.iterdir())}}
        (staging / REPORT_MARK).write_text(json.dumps(mark, indent=2), encoding="utf-8")
        _swap_into_place(staging, real, old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return given


def render_comparison_figures(comparison: CandidateComparison) -> dict[str, bytes]:
    """``curves.png`` and one ``difference_<k>.png`` per pair the verdict speaks of, as
    PNG bytes (stand-alone figures, no pyplot)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10.0, 6.2), layout="constrained")
    ComparisonDisplay.from_comparison(comparison, ax=fig.add_subplot())
    out = {"curves.png": _png(fig)}
    for k, p in enumerate(comparison.verdict_pairs(), start=1):
        fig = Figure(figsize=(10.0, 5.6), layout="constrained")
        ComparisonDisplay.from_comparison(comparison, kind="difference", pair=(p.a, p.b),
                                          ax=fig.add_subplot())
        out[f"difference_{k}.png"] = _png(fig)
    return out


def _img(name: str, png: bytes, caption: str) -> str:
    b64 = base64.b64encode(png).decode("ascii")
    return (f'<figure><img alt="{name}" src="data:image/png;base64,{b64}">'
            f"<figcaption class='muted'>{html.escape(caption)}</figcaption></figure>")


# ------------------------------------------------- several metrics and segments
#: The files of a report of several recommendations, besides one figure pair per
#: metric (``curves_<metric>.png`` and, with segments, ``segments_<metric>.png``).
COLLECTION_FILES = ("index.html", "recommendations.json")


def _slug(name: str) -> str:
    """A metric name as a file-name part."""
    keep = "".join(c if c.isalnum() or c in "-_" else "_" for c in str(name))
    return keep.strip("_") or "metric"


def collection_figure_names(recs: RetrainRecommendations) -> dict[str, tuple[str, str]]:
    """The figures of a collection's report: file name -> (kind, metric)."""
    out: dict[str, tuple[str, str]] = {}
    segmented = len(recs.segments) > 1 or ALL_SEGMENTS not in recs.segments
    for m in recs.metrics:
        out[f"curves_{_slug(m)}.png"] = ("curves", m)
        if segmented:
            out[f"segments_{_slug(m)}.png"] = ("segments", m)
    return out


def render_collection_figures(recs: RetrainRecommendations) -> dict[str, bytes]:
    """The figures of a report of several recommendations as PNG bytes: per metric the
    small multiples of its segments' curves and, with segments, their ranking.

    Examples
    --------
    >>> import pandas as pd
    >>> import oot
    >>> from oot.datasets import make_degradation_scores
    >>> parts = [make_degradation_scores(slope=s, random_state=i).to_evaluation().scores
    ...          .assign(segment=n) for i, (s, n) in enumerate([(-4e-4, "a"), (0.0, "b")])]
    >>> ev = oot.OOTEvaluation.from_frame(pd.concat(parts), metric="roc_auc")
    >>> recs = oot.recommend_retrain_interval(ev, n_bootstrap=50, random_state=0)
    >>> from oot.report import render_collection_figures
    >>> sorted(render_collection_figures(recs))
    ['curves_roc_auc.png', 'segments_roc_auc.png']
    """
    from matplotlib.figure import Figure

    out = {}
    for name, (kind, metric) in collection_figure_names(recs).items():
        if kind == "curves":
            n = sum(1 for k in recs.keys if k[0] == metric)
            cols = min(n, 3)
            rows = -(-n // cols)
            fig = Figure(figsize=(4.6 * cols, 3.4 * rows + 0.4), layout="constrained")
            axes = fig.subplots(rows, cols, sharex=True, squeeze=False)
            for extra in axes.ravel()[n:]:
                extra.set_visible(False)
            RecommendationsDisplay.from_recommendations(recs, kind="curves", metric=metric,
                                                        axes=axes.ravel()[:n])
        else:
            n = sum(1 for k in recs.keys if k[0] == metric and k[1] != ALL_SEGMENTS)
            fig = Figure(figsize=(9.0, 1.6 + 0.45 * max(n, 2)), layout="constrained")
            disp = RecommendationsDisplay.from_recommendations(
                recs, kind="segments", metric=metric, ax=fig.add_subplot())
            disp.ax_.set_title("", loc="left")  # the page prints this sentence above it
        out[name] = _png(fig)
    return out


def _figure(name: str, figures: dict[str, bytes], caption: str) -> str:
    if name not in figures:
        return ""
    b64 = base64.b64encode(figures[name]).decode("ascii")
    return (f'<figure><img alt="{name}" src="data:image/png;base64,{b64}">'
            f"<figcaption class='muted'>{html.escape(caption)}</figcaption></figure>")


def build_comparison_html(comparison: CandidateComparison, figures: dict[str, bytes]) -> str:
    """The comparison's report page, with ``figures`` embedded as base64."""
    cmp = comparison
    parts = [f'<p class="sentence">{html.escape(cmp.verdict())}</p>']
    if "curves.png" in figures:
        parts.append(_img("curves.png", figures["curves.png"], (
            "Each candidate's fitted curve by model age with its bootstrap band and its "
            "window scores; a triangle marks its recommended interval.")))
    parts.append("<h2>Verdict table</h2>")
    parts.append(_table(cmp.summary()))
    parts.append("<h2>Pairs</h2>")
    parts.append(_table(cmp.pairs_frame()))
    for k, p in enumerate(cmp.verdict_pairs(), start=1):
        name = f"difference_{k}.png"
        if name in figures:
            parts.append(_img(name, figures[name], (
                f"{p!s} Points: the paired difference on each window (± 1 paired "
                "SE); line and band: the fitted lead and its bootstrap band.")))
    parts.append("<h2>Method</h2><ul>" + "".join(
        f"<li><b>{html.escape(item.title)}.</b> {html.escape(item.text)}</li>"
        for item in fmt.comparison_method(cmp)) + "</ul>")
    specs = pd.DataFrame([{**s, "features": ", ".join(s["features"])} for s in cmp.specs])
    parts.append("<h2>Candidates</h2>" + _table(specs))
    if cmp.shortfall_cost is not None:
        parts.append("<h2>Cost of history</h2>" + _table(cmp.costs))
    body = "\n".join(parts)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>oot comparison: {html.escape(fmt.metric_name(cmp.metric))}</title>
<style>{_CSS}</style></head>
<body>
<h1>Candidates side by side</h1>
{body}
<p class="muted">Written by oot {html.escape(__version__)}. The exact result is in
<code>comparison.json</code> (read it back with
<code>oot.CandidateComparison.from_json</code>).</p>
</body></html>
"""


def _metric_section(recs: RetrainRecommendations, metric: str,
                    figures: dict[str, bytes]) -> str:
    """One metric: its whole population's sentence, the segments ranked (chart, table,
    the fastest against the slowest) and its small multiples."""
    rec0 = recs[metric]
    parts = [f"<h2>{html.escape(fmt.metric_name(rec0.metric))}</h2>"]
    if (metric, ALL_SEGMENTS) in recs.keys:
        parts.append(f"<p>{html.escape(str(recs[(metric, ALL_SEGMENTS)]))}</p>")
    segs = [k for k in recs.keys if k[0] == metric and k[1] != ALL_SEGMENTS]
    if segs:
        ranking = recs.ranking(metric)
        parts.append(f'<p class="sentence">{html.escape(recs.fastest_sentence(metric))}</p>')
        slug = _slug(metric)
        parts.append(_figure(f"segments_{slug}.png", figures,
                             "Segments ranked by interval, each with its CI (a > marks a "
                             "lower bound: degrading but not reached within the evaluated "
                             "ages); the dashed line and band: the whole population."))
        table = ranking.copy()
        kind = recs.time_kind
        table["interval"] = [fmt.age(v, kind) if v is not None and not (
            not isinstance(v, pd.Timedelta) and pd.isna(v)) else "" for v in table["interval"]]
        at = list(table.columns).index("ci_low")
        ci = [recs._ci_words(metric, str(sg)) for sg in table["segment"]]
        table = table.drop(columns=["ci_low", "ci_high"])
        table.insert(at, f"{fmt.level(recs.confidence_level)} CI", ci)
        table["rank"] = [str(r) if r > 0 else "" for r in table["rank"]]
        parts.append(_table(table))
        ranked = [str(s) for s in ranking.loc[ranking["rank"] != 0, "segment"]]
        if len(ranked) >= 2:
            cmp = recs.compare((metric, ranked[0]), (metric, ranked[-1]))
            parts.append(f"<p>{html.escape(str(cmp))}</p>")
    parts.append(_figure(f"curves_{_slug(metric)}.png", figures,
                         "Each segment's window scores by model age, its curve and band, "
                         "threshold and interval (shared age axis)."))
    return "\n".join(parts)


def build_collection_html(recs: RetrainRecommendations, figures: dict[str, bytes]) -> str:
    """The report page of several recommendations, ``figures`` embedded as base64.

    Examples
    --------
    >>> import pandas as pd
    >>> import oot
    >>> from oot.datasets import make_degradation_scores
    >>> parts = [make_degradation_scores(slope=s, random_state=i).to_evaluation().scores
    ...          .assign(segment=n) for i, (s, n) in enumerate([(-4e-4, "a"), (0.0, "b")])]
    >>> ev = oot.OOTEvaluation.from_frame(pd.concat(parts), metric="roc_auc")
    >>> recs = oot.recommend_retrain_interval(ev, n_bootstrap=50, random_state=0)
    >>> from oot.report import build_collection_html
    >>> page = build_collection_html(recs, {})
    >>> "decides the cadence" in page and "Segment &#x27;a&#x27; ages fastest" in page
    True
    """
    bind = recs.binding
    status = "no_degradation" if bind is None else bind.status
    summary = recs.summary()
    summary.index = [f"{m} / {s}" for m, s in summary.index]
    sections = "\n".join(_metric_section(recs, m, figures) for m in recs.metrics)
    method_items = fmt.collection_method(recs)
    if bind is not None:
        method_items += fmt.method(bind, emph=lambda s: f"<i>{s}</i>", esc=html.escape)
    method = "<ul>" + "".join(
        f"<li><b>{html.escape(item.title)}.</b> {item.text}</li>"
        for item in method_items) + "</ul>"
    first = bind if bind is not None else recs.items[0]
    skipped = ""
    if recs.skipped:
        listed = "; ".join(f"{html.escape(s.metric)} on {html.escape(repr(s.segment))} "
                           f"({s.n_usable} usable windows)" for s in recs.skipped)
        skipped = (f"<p>No curve (too few usable windows): {listed}. Group small segments "
                   "or lower min_window_size.</p>")
    title = ", ".join(fmt.metric_name(m) for m in recs.evaluation.metrics)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>oot report: {html.escape(title)}</title>
<style>{_CSS}</style></head>
<body>
<h1>How often to retrain <span class="status {status}">{status.replace("_", " ")}</span></h1>
<p class="sentence">{html.escape(str(recs))}</p>
<h2>Summary</h2>
{_table(summary, index=True)}
{skipped}
{sections}
<h2>Method</h2>
{method}
<h2>Data</h2>
{_data_section(first)}
<p class="muted">Written by oot {html.escape(__version__)}. The exact result is in
<code>recommendations.json</code> (read it back with
<code>oot.RetrainRecommendations.from_json</code>).</p>
</body></html>
"""


def _write_collection_files(recs: RetrainRecommendations, folder: Path) -> None:
    figures = render_collection_figures(recs)
    for name, png in figures.items():
        (folder / name).write_bytes(png)
    (folder / "recommendations.json").write_text(recs.to_json(indent=2), encoding="utf-8")
    (folder / "index.html").write_text(build_collection_html(recs, figures),
                                       encoding="utf-8")
    mark = {"written_by": f"oot {__version__}",
            "files": {p.name: _digest(p) for p in sorted(folder.iterdir())}}
    (folder / REPORT_MARK).write_text(json.dumps(mark, indent=2), encoding="utf-8")
