"""Draw the figures of the Concepts page into docs/images/.

Run from the repository root: ``python docs/make_figures.py``. Every number drawn comes
from oot on its generated data sets (seeded), except the window diagram, which is a
schematic. The degradation figure (``images/degradation.png``) is drawn by ``oot demo``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy import integrate
from sklearn.linear_model import LinearRegression, LogisticRegression

import oot

OUT = Path(__file__).resolve().parent / "images"


def windows_figure() -> None:
    """Schematic: three anchors, training window, gap, evaluation windows, one age."""
    fig, ax = plt.subplots(figsize=(8, 2.8))
    train, gap, win, n_win = 6.0, 0.5, 1.0, 5
    for j in range(3):
        c = train + j * win
        y = 2 - j
        ax.barh(y, train, left=c - train, height=0.5, color="#9db4d6")
        ax.barh(y, gap, left=c, height=0.5, color="#dddddd", hatch="//", edgecolor="#999999")
        for k in range(n_win - j):
            start = c + gap + k * win
            ax.barh(y, win, left=start, height=0.5, color="#f2b36b", edgecolor="white")
        ax.plot([c, c], [y - 0.28, y + 0.28], color="k", lw=2)
        ax.text(c, y - 0.3, f"cutoff $c_{j + 1}$", ha="center", va="top", fontsize=8)
        ax.text(c - train - 0.15, y, f"anchor {j + 1}", ha="right", va="center", fontsize=9)
    c = train
    mid = c + gap + 2.5 * win
    ax.annotate("", xy=(mid, 2.42), xytext=(c, 2.42),
                arrowprops={"arrowstyle": "<->", "color": "k"})
    ax.text((c + mid) / 2, 2.48, "model age of window 3", ha="center", va="bottom", fontsize=8)
    ax.plot([mid], [2], "k.", ms=6)
    handles = [plt.Rectangle((0, 0), 1, 1, color="#9db4d6"),
               plt.Rectangle((0, 0), 1, 1, facecolor="#dddddd", hatch="//",
                             edgecolor="#999999"),
               plt.Rectangle((0, 0), 1, 1, color="#f2b36b")]
    ax.legend(handles, ["training window", "gap", "evaluation windows"], loc="lower right",
              fontsize=8, frameon=False)
    ax.set(yticks=[], xlabel="calendar time", xlim=(-1.8, 16.5), ylim=(-0.6, 2.9))
    ax.set_xticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    fig.savefig(OUT / "windows.png", dpi=110)
    plt.close(fig)


def cost_figure() -> None:
    """g(T) for three cost ratios on drifting regression data, with the optima."""
    ds = oot.datasets.make_drifting_regression(20000, random_state=0)
    ev = oot.evaluate_out_of_time(ds.frame, LinearRegression(), target=ds.target,
                                  time=ds.time, metric="mse", train_window="180D",
                                  eval_window="30D", anchors=6, random_state=0)
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    tol_line = None
    for i, ratio in enumerate([0.25, 1.0, 5.0]):
        rec = oot.recommend_retrain_interval(ev, tolerance=0.10, retrain_cost=ratio,
                                             shortfall_cost=1.0, n_bootstrap=200,
                                             random_state=0)
        curve = rec.curve
        a = np.linspace(0, curve.age_max, 2000)
        s = np.maximum(np.asarray(curve.predict(a)) - curve.baseline, 0.0)
        cum = integrate.cumulative_trapezoid(s, a, initial=0.0)
        T = np.linspace(3, curve.age_max, 400)
        g = (ratio + np.interp(T, a, cum)) / T
        t_star = rec.cost_optimal_interval / np.timedelta64(1, "D")
        ax.plot(T, g, color=f"C{i}", label=f"C/c = {ratio:g}: optimum {t_star:.0f} days")
        ax.plot([t_star], [rec.cost_rate], "o", color=f"C{i}")
        tol_line = rec.interval / np.timedelta64(1, "D")
    ax.axvline(tol_line, ls=":", color="k", label=f"10% tolerance: {tol_line:.0f} days")
    ax.set(xlabel="retraining interval T (days)", ylabel="cost per day g(T)", ylim=(0, 0.12))
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "cost.png", dpi=110)
    plt.close(fig)


def fresh_figure() -> None:
    """Scores by calendar month, raw and against the fresh model, with a hard summer."""
    ds = oot.datasets.make_drifting_classification(30000, periods=3 * 365, random_state=1)
    df = ds.frame.copy()
    rng = np.random.default_rng(1)
    summer = df["time"].dt.month.isin([6, 7, 8]).to_numpy()
    flip = summer & (rng.random(len(df)) < 0.25)
    df.loc[flip, "y"] = rng.integers(0, 2, flip.sum())
    ev = oot.evaluate_out_of_time(df, LogisticRegression(), target="y", time="time",
                                  metric="roc_auc", train_window="365D", eval_window="30D",
                                  anchors=12, random_state=0)
    s = ev.usable.copy()
    first = s[s["window"] == s.groupby("anchor")["window"].transform("min")]
    fresh = first.groupby("window_start")["score"].first()
    s["vs_fresh"] = s["score"] - s["window_start"].map(fresh)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharex=True)
    cmap = plt.get_cmap("viridis")
    for anchor, g in s.groupby("anchor"):
        color = cmap((anchor - 1) / 11)
        axes[0].plot(g["window_start"], g["score"], color=color, lw=1)
        axes[1].plot(g["window_start"], g["vs_fresh"], color=color, lw=1)
    for ax in axes:
        for year in (2021, 2022):
            ax.axvspan(np.datetime64(f"{year}-06-01"), np.datetime64(f"{year}-09-01"),
                       color="#f2b36b", alpha=0.3, lw=0)
        ax.tick_params(axis="x", labelrotation=30)
    axes[0].set(title="frozen models, one line per anchor", ylabel="ROC AUC")
    axes[1].set(title="minus the youngest model on the same window",
                ylabel="ROC AUC difference")
    fig.tight_layout()
    fig.savefig(OUT / "fresh.png", dpi=110)
    plt.close(fig)


def backtest_figures() -> None:
    """The policy backtest on the Chicago data (as in notebooks/03_backtest.ipynb)."""
    from matplotlib.figure import Figure
    from sklearn.tree import DecisionTreeRegressor

    df = oot.datasets.load_chicago_ridership()
    ev = oot.evaluate_out_of_time(
        df, DecisionTreeRegressor(min_samples_leaf=5, random_state=0), target="ridership",
        time="date", metric="mae", train_window="730D", eval_window="MS", anchors=50,
        anchor_step="QS", min_window_size=20)
    rec = oot.recommend_retrain_interval(ev, tolerance=0.2, reference="fresh",
                                         n_bootstrap=200, random_state=0)
    bt = rec.backtest(retrain_cost=50.0, shortfall_cost=1.0)
    for kind, name in (("realized", "backtest_realized.png"),
                       ("tradeoff", "backtest_tradeoff.png")):
        fig = Figure(figsize=(10, 5.6), layout="constrained")
        bt.plot(kind=kind, ax=fig.add_subplot())
        fig.savefig(OUT / name, dpi=100)
    print(bt)


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    windows_figure()
    cost_figure()
    fresh_figure()
    backtest_figures()
    print("figures written to", OUT)
