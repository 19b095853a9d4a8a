"""False alarms and lead times of the leading indicators (``oot.rank_indicators``).

Repeated simulation with a known cause of degradation, from a generator written here
and unlike :func:`oot.datasets.make_indicator_data` (which the tests use): the cause
moves by a regime change or a heavy-tailed random walk rather than a smooth normal
trend, its effect on the target is an interaction that a logistic model cannot
represent (not a rotation of a linear boundary), and the distractor drifts by
heavy-tailed jumps or by a trend of its own.

Each row: ``x_cause``, ``x_noise``, ``x1``, ``x2`` and a 0/1 target with log-odds
``1.6 x1 + 1.6 x2 * s(x_cause)``, ``s(u) = tanh(2 (0.75 - u))``: while ``x_cause``
stays near 0, ``x2`` helps; as ``x_cause`` moves above 0.75 its effect flips, so a
model fitted on older rows ranks newer ones worse (retraining on the new mixture
restores part of it). ``x_noise`` never enters the target.

Scenarios
---------
* ``step``: ``x_cause ~ N(0, 0.5)`` until a regime change on a random day in
  [240, 480], then ``N(1.5, 0.5)``; ``x_noise`` jumps every 30 days to a fresh
  ``0.5 t_3`` mean (it drifts in every window, without a trend).
* ``walk``: the mean of ``x_cause`` is a random walk with drift (``+1.8`` over the
  720 days, Student-t steps of 10 days); ``x_noise`` has a linear trend of its own
  (``+1.5`` over the span): a distractor that grows with age like the loss does.
* ``null``: ``x_cause ~ N(0, 0.5)`` at all times (no loss), ``x_noise`` jumps as in
  ``step``: whatever is recommended is a false alarm.

Per data set: 14,000 rows over 720 days, LogisticRegression, 90-day training window,
30-day evaluation windows, 12 anchors, ``indicators=True`` (PSI and KS of the four
features and the predictions, expected ROC AUC and accuracy), then
``rank_indicators(tolerance=0.05)``. Reported per scenario: how often an indicator of
the cause is the one to watch (``hit``), how often another one is (``wrong``) or none
is (``none``); for the watched indicator the median lead (the fitted curve's crossing
age minus the median first alarm age), the share of anchors that crossed and were
warned at or before their own first crossing, the anchors warned that never crossed
(false alarms); and its trigger on the test periods against the fixed cadence that
did as well.

Usage::

    python studies/indicators.py [--n-sims 20] [--seed 0] [--n-jobs 1]
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

N_ROWS = 14000
N_DAYS = 720.0
SCENARIOS = ("step", "walk", "null")
CAUSE = ("psi:x_cause", "ks:x_cause")
#: The rule-of-thumb alarm level of PSI (and here of KS) for the second table.
RULE_LEVEL = 0.1


def make_data(scenario: str, seed: int) -> pd.DataFrame:
    """One data set of ``scenario`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n = N_ROWS
    sec = rng.integers(0, int(N_DAYS * 86400), size=n)
    sec[0] = 0
    t = sec / 86400.0
    x1, x2 = rng.standard_normal(n), rng.standard_normal(n)
    month = (t // 30).astype(np.int64)
    jumps = 0.5 * rng.standard_t(3, size=int(month.max()) + 1)
    if scenario == "step":
        day = rng.uniform(180, 480)
        cause_mean = np.where(t >= day, 1.5, 0.0)
        noise_mean = jumps[month]
    elif scenario == "walk":
        steps = rng.standard_t(4, size=int(N_DAYS // 10) + 1) * 0.08
        walk = np.cumsum(steps + 1.8 / (N_DAYS / 10))
        cause_mean = walk[(t // 10).astype(np.int64)]
        noise_mean = 1.5 * t / N_DAYS
    else:
        cause_mean = np.zeros(n)
        noise_mean = jumps[month]
    x_cause = cause_mean + 0.5 * rng.standard_normal(n)
    x_noise = noise_mean + rng.standard_normal(n)
    logit = 1.6 * x1 + 1.6 * x2 * np.tanh(2.0 * (0.75 - x_cause))
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    ts = pd.Timestamp("2021-01-01") + pd.to_timedelta(sec, unit="s")
    return pd.DataFrame({"ts": ts, "x_cause": x_cause, "x_noise": x_noise, "x1": x1,
                         "x2": x2, "y": y})


def one(scenario: str, seed: int) -> dict[str, Any]:
    """Evaluate and rank one data set; the watched indicator's figures."""
    from sklearn.linear_model import LogisticRegression

    import oot

    df = make_data(scenario, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small windows, extrapolation notes
        ev = oot.evaluate_out_of_time(
            df, LogisticRegression(), target="y", time="ts", train_window="90D",
            eval_window="30D", anchors=12, indicators=True, random_state=seed)
        rep = oot.rank_indicators(ev, tolerance=0.05)
        # the rule of thumb instead of tuned levels: PSI or KS above 0.1
        fixed = oot.rank_indicators(ev, tolerance=0.05, levels={
            n: RULE_LEVEL for n in rep.indicators if n.startswith(("psi:", "ks:"))})
    t = rep.summary().set_index("indicator")
    f = fixed.summary().set_index("indicator")
    out_fixed: dict[str, Any] = {}
    for name in ("psi:x_cause", "psi:x_noise"):
        key = name.split(":")[1]
        lead = f.loc[name, "lead"]
        out_fixed[f"{key}_lead"] = (math.nan if pd.isna(lead)
                                    else lead / pd.Timedelta(days=1))
        out_fixed[f"{key}_warned"] = int(f.loc[name, "n_warned"])
        out_fixed[f"{key}_false"] = int(f.loc[name, "n_false_alarms"])
        out_fixed[f"{key}_crossed"] = int(f.loc[name, "n_crossed"])
    best = rep.best
    out: dict[str, Any] = {"scenario": scenario, "seed": seed, "best": best,
                           "crossed": not pd.isna(rep.crossing_age),
                           "n_anchors": int(ev.scores["anchor"].nunique()),
                           "level": math.nan, **out_fixed}
    cause_rho = [float(t.loc[c, "agreement"]) for c in CAUSE]
    out["cause_agreement"] = max(cause_rho)
    out["noise_agreement"] = max(float(t.loc[c, "agreement"])
                                 for c in ("psi:x_noise", "ks:x_noise"))
    if best is None:
        return out
    row = t.loc[best]
    lead = row["lead"]
    out.update(
        lead_days=(math.nan if pd.isna(lead) else lead / pd.Timedelta(days=1)),
        n_crossed=int(row["n_crossed"]), n_warned=int(row["n_warned"]),
        n_false=int(row["n_false_alarms"]), level=float(row["trigger_level"]),
        within_test=float(row["within_test"]), retrains_test=float(row["retrains_test"]),
        n_test=int(row["n_test"]),
        fixed_needed=float(row["fixed_needed_retrains"]),
        fixed_same_within=float(row["fixed_same_within"]),
    )
    return out


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.0f}%"


def _num(x: float, digits: int = 1) -> str:
    return "-" if math.isnan(x) else f"{x:.{digits}f}"


def table(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of the results."""
    lines = [
        "| scenario | runs | cause watched | other watched | none | median agreement "
        "cause / x_noise | median lead (days) | warned before crossing | anchors warned "
        "never crossed | trigger within (test) | trigger retrains | trigger within, fixed "
        "same retrains | fixed retrains to do as well |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for sc in SCENARIOS:
        r = [x for x in rows if x["scenario"] == sc]
        if not r:
            continue
        n = len(r)
        hit = sum(x["best"] in CAUSE for x in r) / n
        none = sum(x["best"] is None for x in r) / n
        other = 1 - hit - none
        w = [x for x in r if x["best"] is not None]

        def med(key: str, w: list[dict[str, Any]] = w) -> float:
            v = [x[key] for x in w if not (isinstance(x.get(key), float)
                                           and math.isnan(x[key]))]
            return float(np.median(v)) if v else math.nan

        crossed = sum(x["n_crossed"] for x in w)
        warned = sum(x["n_warned"] for x in w) / crossed if crossed else math.nan
        false = (sum(x["n_false"] for x in w) / sum(x["n_anchors"] for x in w)
                 if w else math.nan)
        lines.append(
            f"| {sc} | {n} | {_pct(hit)} | {_pct(other)} | {_pct(none)} | "
            f"{_num(float(np.median([x['cause_agreement'] for x in r])), 2)} / "
            f"{_num(float(np.median([x['noise_agreement'] for x in r])), 2)} | "
            f"{_num(med('lead_days'), 0)} | {_pct(warned)} | {_pct(false)} | "
            f"{_pct(med('within_test'))} | {_num(med('retrains_test'))} | "
            f"{_pct(med('fixed_same_within'))} | {_num(med('fixed_needed'))} |")
    return "\n".join(lines)


def rule_table(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of the rule-of-thumb level (PSI above 0.1) of the cause's
    and the distractor's PSI."""
    lines = [
        "| scenario | indicator | median lead (days) | anchors warned before their "
        "crossing | anchors warned that never crossed |",
        "|---|---|---|---|---|",
    ]
    for sc in SCENARIOS:
        r = [x for x in rows if x["scenario"] == sc]
        if not r:
            continue
        for key in ("x_cause", "x_noise"):
            leads = [x[f"{key}_lead"] for x in r if not math.isnan(x[f"{key}_lead"])]
            crossed = sum(x[f"{key}_crossed"] for x in r)
            warned = sum(x[f"{key}_warned"] for x in r)
            never = sum(x["n_anchors"] - x[f"{key}_crossed"] for x in r)
            false = sum(x[f"{key}_false"] for x in r)
            lines.append(
                f"| {sc} | psi:{key} | {_num(float(np.median(leads)), 0) if leads else '-'}"
                f" | {warned}/{crossed} ({_pct(warned / crossed if crossed else math.nan)})"
                f" | {false}/{never} ({_pct(false / never if never else math.nan)}) |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n-sims", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-jobs", type=int, default=1)
    args = ap.parse_args()
    t0 = time.perf_counter()
    jobs = [(sc, args.seed + 1000 * i + k) for i, sc in enumerate(SCENARIOS)
            for k in range(args.n_sims)]
    if args.n_jobs == 1:
        rows = [one(sc, s) for sc, s in jobs]
    else:
        from joblib import Parallel, delayed

        rows = Parallel(n_jobs=args.n_jobs)(delayed(one)(sc, s) for sc, s in jobs)
    print(f"{args.n_sims} data sets per scenario, {N_ROWS} rows over {N_DAYS:.0f} days, "
          f"12 anchors x 30-day windows, tolerance 5% relative. "
          f"{time.perf_counter() - t0:.0f} s.\n")
    print(table(rows))
    print(f"\nAt the rule-of-thumb level (PSI above {RULE_LEVEL}), whatever the ranking "
          "chose:\n")
    print(rule_table(rows))


if __name__ == "__main__":
    main()
