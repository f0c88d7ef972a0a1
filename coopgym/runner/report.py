"""`coopgym report`: one self-contained HTML page (inline CSS, plots as base64 PNG; no network).

Sections: summary, leaderboard per mechanism class, learning curves, the
reward-mode ablation per mechanism class, trust trajectories, audit classes,
and the per-environment leaderboard.

Audit input (optional) is JSON from the behavioural audit: either a mapping
``{"SLCD-v0": "immune", ...}`` or a list of objects with ``env``, ``class``
and optionally ``policy``.
"""
from __future__ import annotations

import base64
import html
import io
import json
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from . import leaderboard as lbm
from . import stats
from .plan import trains
from .records import RunConfig, RunRecord, utc_now

_CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .5em}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;border:1px solid #eee}.note{color:#666;font-size:.9em}"""


def _fig_png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _grid(n: int, width: float = 4.0, height: float = 2.8):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    cols = min(4, max(1, n))
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False, layout="constrained")
    for ax in axes.flat[n:]:
        ax.axis("off")
    return fig, list(axes.flat[:n])


def _table(head: Sequence[str], body: Iterable[Sequence[Any]]) -> str:
    def cell(v):
        text = html.escape(str(v))
        return f'<td class="n">{text}</td>' if text[:1] in "-0123456789" else f"<td>{text}</td>"
    rows = "".join("<tr>" + "".join(cell(v) for v in r) + "</tr>" for r in body)
    return "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + f"</tr>{rows}</table>"


def _mean_curve(curves: list[list]) -> tuple[np.ndarray, np.ndarray] | None:
    """Mean over seeds of [step, value] curves, on the steps of the first curve (interpolated)."""
    curves = [np.asarray(c, dtype=float) for c in curves if c]
    if not curves or curves[0].ndim != 2:
        return None
    x = curves[0][:, 0]
    ys = [np.interp(x, c[:, 0], c[:, 1]) for c in curves]
    return x, np.mean(ys, axis=0)


def learning_curves(records: Sequence[RunRecord], max_envs: int = 20) -> str:
    groups: dict[str, dict[tuple, list]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        if r.status == "ok" and r.learning_curve:
            groups[lbm.env_label(r)][(lbm.policy_label(r), r.reward)].append(r.learning_curve)
    if not groups:
        return '<p class="note">No learning curves recorded (no learner runs in this ledger).</p>'
    envs = sorted(groups)[:max_envs]
    fig, axes = _grid(len(envs))
    styles = ["-", "--", ":", "-."]
    rewards = sorted({rw for e in envs for _, rw in groups[e]})
    for ax, env in zip(axes, envs):
        for (pol, rw), curves in sorted(groups[env].items()):
            mc = _mean_curve(curves)
            if mc:
                ax.plot(*mc, styles[rewards.index(rw) % 4], label=f"{pol} ({rw})")
        ax.set_title(env, fontsize=9)
        ax.set_xlabel("training steps", fontsize=8)
        ax.set_ylabel("mean return", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=6)
    return _fig_png(fig)


def ablation(lb: lbm.Leaderboard) -> str:
    """Normalised IQM per mechanism class and reward mode, learners pooled (strata = environments)."""
    import matplotlib.pyplot as plt

    strata: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    learners = any(trains(r.policy.split("@")[0], False) and r.norm_scores for r in lb.rows)
    for r in lb.rows:
        if r.norm_scores and (trains(r.policy.split("@")[0], False) or not learners):
            strata[(r.mechanism, r.reward)][r.env].extend(r.norm_scores)
    if not strata:
        return ('<p class="note">No normalised scores: the ablation needs heuristic/random and '
                'oracle/equilibrium references on the same environments.</p>')
    mechs = sorted({m for m, _ in strata})
    rewards = sorted({rw for _, rw in strata}, key=lambda x: RunConfig("p", "e", x, 0, 0).mutuality)
    fig, ax = plt.subplots(figsize=(2.2 + 1.6 * len(mechs), 3.6), layout="constrained")
    width = 0.8 / len(rewards)
    for j, rw in enumerate(rewards):
        xs, ys, err = [], [], [[], []]
        for i, m in enumerate(mechs):
            if (m, rw) in strata:
                point, lo, hi = stats.interval(list(strata[(m, rw)].values()), "iqm")
                xs.append(i + (j - (len(rewards) - 1) / 2) * width)
                ys.append(point)
                err[0].append(point - lo)
                err[1].append(hi - point)
        ax.bar(xs, ys, width, yerr=err, capsize=3, label=rw)
    ax.set_xticks(range(len(mechs)), mechs)
    ax.axhline(0, color="#999", lw=0.8)
    ax.axhline(1, color="#999", lw=0.8, ls="--")
    ax.set_ylabel("normalised IQM (random 0, oracle 1)")
    ax.set_title(f"Reward-mode ablation per mechanism class ({'learners' if learners else 'all policies'})")
    ax.legend(fontsize=8)
    return _fig_png(fig)


def trust_trajectories(records: Sequence[RunRecord], max_envs: int = 12, max_policies: int = 8) -> str:
    groups: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        if r.status == "ok" and r.trajectory:
            groups[f"{lbm.env_label(r)} ({r.reward})"][lbm.policy_label(r)].append(r.trajectory)
    if not groups:
        return '<p class="note">No trust trajectories recorded.</p>'
    keys = sorted(groups)[:max_envs]
    fig, axes = _grid(len(keys))
    for ax, key in zip(axes, keys):
        pols = sorted(groups[key], key=lambda p: (not trains(p.split("@")[0], False), p))[:max_policies]
        for pol in pols:
            n = min(map(len, groups[key][pol]))
            ax.plot(np.mean([t[:n] for t in groups[key][pol]], axis=0), label=pol)
        ax.set_ylim(0, 1)
        ax.set_title(key, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.set_ylabel("mean trust", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=6)
    return _fig_png(fig)


def load_audit(path: str | os.PathLike) -> list[dict]:
    """Audit results as a list of {env, class[, policy]} from a mapping or a list (see module doc)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = [{"env": k, "class": v} for k, v in data.items()]
    if not isinstance(data, list) or not all(isinstance(d, dict) and "env" in d and "class" in d for d in data):
        raise ValueError(f"audit file {path}: expected {{env: class}} or a list of {{env, class}} objects")
    return data


def audit_section(audit: Sequence[dict] | None) -> str:
    import matplotlib.pyplot as plt

    if not audit:
        return ('<p class="note">No audit results given: run the behavioural audit and pass its JSON '
                'with <code>--audit FILE</code>.</p>')
    counts = Counter(str(a["class"]) for a in audit)
    fig, ax = plt.subplots(figsize=(6, 0.8 + 0.4 * len(counts)), layout="constrained")
    names = sorted(counts, key=counts.get)
    ax.barh(names, [counts[n] for n in names], color="#c66")
    ax.set_xlabel("environments" if not any("policy" in a for a in audit) else "audited cases")
    ax.set_title("Behavioural audit classes")
    body = [(a["env"], a.get("policy", ""), a["class"]) for a in sorted(audit, key=lambda a: str(a["env"]))]
    return _fig_png(fig) + _table(("environment", "policy", "class"), body)


def build_html(records: Sequence[RunRecord], *, title: str = "coopgym report", source: str = "",
               audit: Sequence[dict] | None = None, reps: int = 2000) -> str:
    """The whole report page as one HTML string."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    records = list(records)
    ok = [r for r in records if r.status == "ok"]
    lb = lbm.build(records, reps=reps)
    summary = _table(("runs", "ok", "failed", "environments", "policies", "reward modes"), [(
        len(records), len(ok), len(records) - len(ok), len({r.env for r in records}),
        len({r.policy for r in records}), len({r.reward for r in records}))])
    classes = _table(lbm.CLASS_HEAD, map(lbm._class_cells, lb.classes)) if lb.classes else \
        '<p class="note">No normalised scores (needs heuristic/random and oracle/equilibrium runs).</p>'
    notes = "".join(f'<p class="note">{html.escape(n)}</p>' for n in lb.notes)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>",
             f'<p class="note">Generated {utc_now()} from {html.escape(source or "records")}. '
             "Intervals: 95 % stratified bootstrap (percentile).</p>", summary,
             "<h2>Leaderboard per mechanism class</h2>", classes, notes,
             "<h2>Learning curves</h2>", learning_curves(ok),
             "<h2>Reward-mode ablation per mechanism class</h2>", ablation(lb),
             "<h2>Trust trajectories</h2>", trust_trajectories(ok),
             "<h2>Audit classes</h2>", audit_section(audit),
             "<h2>Leaderboard per environment and reward mode</h2>",
             _table(lbm.ENV_HEAD, map(lbm._env_cells, lb.rows)), "</body></html>"]
    return "\n".join(parts)


def write_report(records: Sequence[RunRecord], out: str | os.PathLike, **kwargs: Any) -> Path:
    """Write the report atomically to ``out``; returns its path."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(build_html(records, **kwargs), encoding="utf-8")
    os.replace(tmp, path)
    return path
