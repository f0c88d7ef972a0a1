"""`coopgym report`: one self-contained HTML page (inline CSS, plots as base64 PNG; no network).

Sections (statistics after Agarwal et al. 2021, all on the leaderboard's normalised scales and common task
sets, :mod:`coopgym.runner.leaderboard`):

- the leaderboard per mechanism class (the ranking metric's normalised IQM over runs x tasks);
- learning curves: for each class and reward mode, each learner's normalised IQM at every evaluation point
  recorded inside its training runs (``RunRecord.evaluations``, 0 = untrained), with stratified intervals;
- performance profiles of the top policies: the fraction of runs with normalised score > tau, with intervals;
- probability of improvement between the top policies, P(X > Y) with stratified intervals;
- the reward-mode ablation on material welfare: the same policy trained and evaluated under the three reward
  modes, its welfare normalised on one scale per environment for all modes (0 = random, which does not
  depend on the mode; 1 = the highest welfare of any reference policy under any mode), IQM per class;
- trust trajectories, audit classes, and the per-environment leaderboard (constants left out: 101 rows per
  cell; their values are in ``coopgym leaderboard``).

Audit input (optional) is JSON from the behavioural audit: either a mapping ``{"SLCD-v0": "immune", ...}``
or a list of objects with ``env``, ``class`` and optionally ``policy``.
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
from .records import RunRecord, utc_now

TOP = 5   # policies shown in the performance profiles and compared by probability of improvement
_CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .5em}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;border:1px solid #eee}.note{color:#666;font-size:.9em}"""


def _fig_png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)  # constrained layout fits the page: no second, "tight" draw
    plt.close(fig)
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _grid(n: int, width: float = 4.0, height: float = 2.8, cols: int = 3):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    cols = min(cols, max(1, n))
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False, layout="constrained")
    for ax in axes.flat[n:]:
        ax.axis("off")
    return fig, list(axes.flat[:n])


def _label(ax, title: str, xlabel: str, ylabel: str, legend: bool = True) -> None:
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    if legend:
        ax.legend(fontsize=6)


def _table(head: Sequence[str], body: Iterable[Sequence[Any]]) -> str:
    def cell(v):
        text = html.escape(str(v))
        return f'<td class="n">{text}</td>' if text[:1] in "-0123456789" else f"<td>{text}</td>"
    rows = "".join("<tr>" + "".join(cell(v) for v in r) + "</tr>" for r in body)
    return "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + f"</tr>{rows}</table>"


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _cells(lb: lbm.Leaderboard) -> list[tuple[str, str]]:
    return lbm.class_columns(lb.classes)


def top_policies(lb: lbm.Leaderboard, mechanism: str, reward: str, k: int = TOP) -> list[str]:
    """The ``k`` best-ranked policies of a class cell on the ranking metric, constants left out (they make up
    the scale); learners first when there are any, then the best other policy as a marker."""
    ranked = sorted((c for c in lb.classes if (c.mechanism, c.reward) == (mechanism, reward) and c.rank
                     and c.kind != "constant"), key=lambda c: c.rank)
    learners = [c.policy for c in ranked if c.kind == "learner"]
    others = [c.policy for c in ranked if c.kind != "learner"]
    return (learners[:k - 1] + others[:1]) if learners else others[:k]


# -- learning curves ---------------------------------------------------------
def curve_points(lb: lbm.Leaderboard, metric: str = "return") -> dict[tuple, dict[str, list]]:
    """(mechanism, reward) -> {policy: [(env_steps, (iqm, lower, upper)), ...]} from the records' evaluation
    points, normalised on the final scales, over the class' common task set (policies that cover it)."""
    out: dict[tuple, dict[str, list]] = defaultdict(dict)
    rows = defaultdict(dict)
    for row in lb.rows:
        if any(r.evaluations for r in row.records):
            rows[(row.mechanism, row.reward, row.policy)][row.env] = row
    for (mech, reward, pol), by_env in rows.items():
        envs = lb.task_sets.get((mech, reward, metric), [])
        if not envs or any(e not in by_env for e in envs):
            continue
        steps = sorted({p["steps"] for e in envs for r in by_env[e].records for p in r.evaluations})
        points = []
        for k in steps:
            strata = []
            for e in envs:
                scale = lb.scales[(e, reward)][metric]
                vals = [p.get(metric) for r in by_env[e].records for p in r.evaluations if p["steps"] == k]
                strata.append([scale.normalise(v) for v in vals if v is not None])
            if all(strata):
                points.append((k, stats.interval(strata, "iqm", reps=1000)))
        if points:
            out[(mech, reward)][pol] = points
    return out


def env_curve_points(lb: lbm.Leaderboard, metric: str = "return") -> dict[tuple, dict[str, list]]:
    """(env, reward) -> {policy: [(env_steps, (mean, lower, upper)), ...]}: per environment, the mean over
    seeds of the normalised score at each evaluation point with its bootstrap interval (what a corpus
    still being built can show before any learner covers a class' common task set)."""
    out: dict[tuple, dict[str, list]] = defaultdict(dict)
    for row in lb.rows:
        scale = lb.scales[(row.env, row.reward)][metric]
        if scale.problem or not any(r.evaluations for r in row.records):
            continue
        points = []
        for k in sorted({p["steps"] for r in row.records for p in r.evaluations}):
            vals = [scale.normalise(p[metric]) for r in row.records for p in r.evaluations
                    if p["steps"] == k and p.get(metric) is not None]
            if vals:
                points.append((k, stats.interval([vals], "mean", reps=1000)))
        if points:
            out[(row.env, row.reward)][row.policy] = points
    return out


def learning_curves(lb: lbm.Leaderboard, metric: str = "return", max_panels: int = 12) -> str:
    curves, per_class = curve_points(lb, metric), True
    if not curves:
        curves, per_class = env_curve_points(lb, metric), False
    if not curves:
        learner_runs = [r for row in lb.rows if row.kind == "learner" for r in row.records]
        without = sum(not r.evaluations for r in learner_runs)
        what = (f"{len(learner_runs)} learner runs, {without} of them without evaluation points"
                if learner_runs else "no learner runs")
        return _note(f"No learning curves: {what} (runs with eval_at record them, e.g. "
                     "`coopgym sweep ... --eval-at 0,5000,20000`).")
    keys = [c for c in _cells(lb) if c in curves] if per_class else sorted(curves)
    fig, axes = _grid(min(len(keys), max_panels))
    for ax, key in zip(axes, keys):
        for pol, points in sorted(curves[key].items()):
            x = [k for k, _ in points]
            y, lo, hi = (np.array([ci[i] for _, ci in points]) for i in range(3))
            line, = ax.plot(x, y, marker=".", label=pol)
            ax.fill_between(x, lo, hi, alpha=0.2, color=line.get_color())
        ax.axhline(0, color="#999", lw=0.8)
        ax.axhline(1, color="#999", lw=0.8, ls="--")
        statistic = "IQM" if per_class else "mean"
        _label(ax, f"{key[0]} {key[1]}", "env-steps of training", f"normalised {metric} ({statistic})")
    if per_class:
        return _fig_png(fig) + _note("Each point: the IQM over runs x tasks of the normalised score at that "
                                     "evaluation, with its 95 % stratified bootstrap interval (band).")
    shown = f"the first {max_panels} of {len(keys)}" if len(keys) > max_panels else f"all {len(keys)}"
    return _fig_png(fig) + _note(
        f"No learner covers a class' common task set yet, so per environment and reward mode ({shown}): each "
        "point is the mean over seeds of the normalised score at that evaluation, with its 95 % bootstrap "
        "interval (band).")


# -- performance profiles and probability of improvement --------------------
def performance_profiles(lb: lbm.Leaderboard) -> str:
    m = lb.metric
    keys = [c for c in _cells(lb) if top_policies(lb, *c)]
    if not keys:
        return _note("No ranked policies: performance profiles need normalised scores on a common task set.")
    fig, axes = _grid(len(keys))
    for ax, (mech, reward) in zip(axes, keys):
        pols = top_policies(lb, mech, reward)
        strata = {p: lb.class_strata(mech, reward, p, m) for p in pols}
        flat = np.concatenate([np.concatenate(s) for s in strata.values() if s])
        taus = np.linspace(min(0.0, flat.min()), max(1.0, flat.max()), 101)
        for pol, s in strata.items():
            if s:
                y, lo, hi = stats.performance_profile(s, taus, reps=500)
                line, = ax.plot(taus, y, label=pol, ls="--" if lbm.policy_kind(pol) != "learner" else "-")
                ax.fill_between(taus, lo, hi, alpha=0.15, color=line.get_color())
        _label(ax, f"{mech} {reward}", f"normalised {m} tau", "fraction of runs > tau")
    return _fig_png(fig) + _note("Dashed: a reference policy or heuristic (a marker). Bands: 95 % stratified "
                                 "bootstrap intervals.")


def improvement_table(lb: lbm.Leaderboard) -> str:
    m = lb.metric
    body = []
    for mech, reward in _cells(lb):
        pols = [p for p in top_policies(lb, mech, reward) if lb.class_strata(mech, reward, p, m)]
        for i, x in enumerate(pols):
            for y in pols[i + 1:]:
                p, lo, hi = stats.probability_of_improvement(lb.class_strata(mech, reward, x, m),
                                                             lb.class_strata(mech, reward, y, m), reps=1000)
                body.append((mech, reward, x, y, f"{p:.3f} [{lo:.3f}, {hi:.3f}]"))
    if not body:
        return _note("Fewer than two ranked policies per class: no probability of improvement.")
    return _table(("class", "reward", "X", "Y", f"P(X > Y) on {m} [95% CI]"), body) + _note(
        "P(X > Y): the mean over the class' environments of the probability that a run of X scores above a run "
        "of Y (ties count one half); above 0.5 favours X.")


# -- reward-mode ablation on material welfare ------------------------------
def welfare_ablation(lb: lbm.Leaderboard) -> dict[str, dict[str, dict[str, tuple]]]:
    """mechanism -> policy -> reward -> normalised welfare IQM (point, lower, upper) on the mode-independent
    welfare scale (module doc), over the class' environments that have one (policies covering them)."""
    welfare = defaultdict(lambda: defaultdict(dict))   # env -> policy -> reward -> raw per-run welfare
    for row in lb.rows:
        vals = row.scores.get("welfare") or []
        if vals and None not in vals:
            welfare[row.env][row.policy][row.reward] = vals
    mech_of = {r.env: r.mechanism for r in lb.rows}
    scales = {}
    for env, by_pol in welfare.items():
        low = [v for vals in by_pol.get(lbm.RANDOM_POLICY, {}).values() for v in vals]
        highs = [np.mean(vals) for pol, by_rw in by_pol.items() if lbm.is_reference(pol) for vals in by_rw.values()]
        if low and highs and stats.scale_problem(float(np.mean(low)), float(max(highs))) is None:
            scales[env] = (float(np.mean(low)), float(max(highs)))
    out = defaultdict(dict)
    for mech in sorted(set(mech_of.values())):
        envs = sorted(e for e in scales if mech_of[e] == mech)
        pols = sorted({p for e in envs for p in welfare[e]})
        for pol in pols:
            by_reward = {}
            for reward in lbm.mode_order({rw for e in envs for rw in welfare[e].get(pol, {})}):
                if all(reward in welfare[e].get(pol, {}) for e in envs) and envs:
                    strata = [[(v - scales[e][0]) / (scales[e][1] - scales[e][0]) for v in welfare[e][pol][reward]]
                              for e in envs]
                    by_reward[reward] = stats.interval(strata, "iqm", reps=1000)
            if len(by_reward) > 1:
                out[mech][pol] = by_reward
    return out


def ablation_section(lb: lbm.Leaderboard) -> str:
    import matplotlib.pyplot as plt

    data = welfare_ablation(lb)
    if not data:
        return _note("No reward-mode ablation: it needs the same policy under two or more reward modes, with "
                     "heuristic/random and reference policies giving a welfare scale.")
    learners_only = any(lbm.policy_kind(p) == "learner" for by_pol in data.values() for p in by_pol)
    keep = lambda p: lbm.policy_kind(p) == "learner" if learners_only else lbm.policy_kind(p) != "constant"  # noqa: E731
    data = {m: {p: v for p, v in by_pol.items() if keep(p)} for m, by_pol in data.items()}
    data = {m: by_pol for m, by_pol in data.items() if by_pol}
    fig, axes = _grid(len(data), width=max(4.0, 0.9 * max(map(len, data.values())) + 1.5), cols=2)
    body = []
    for ax, (mech, by_pol) in zip(axes, sorted(data.items())):
        pols = sorted(by_pol)
        modes = lbm.mode_order({rw for v in by_pol.values() for rw in v})
        width = 0.8 / len(modes)
        for j, rw in enumerate(modes):
            xs = [i + (j - (len(modes) - 1) / 2) * width for i, p in enumerate(pols) if rw in by_pol[p]]
            cis = [by_pol[p][rw] for p in pols if rw in by_pol[p]]
            ax.bar(xs, [c[0] for c in cis], width, yerr=[[c[0] - c[1] for c in cis], [c[2] - c[0] for c in cis]],
                   capsize=2, label=rw)
            body += [(mech, p, rw, f"{by_pol[p][rw][0]:.3f} [{by_pol[p][rw][1]:.3f}, {by_pol[p][rw][2]:.3f}]")
                     for p in pols if rw in by_pol[p]]
        ax.set_xticks(range(len(pols)), pols, rotation=45, ha="right", fontsize=7)
        ax.axhline(0, color="#999", lw=0.8)
        ax.axhline(1, color="#999", lw=0.8, ls="--")
        ax.set_ylabel("normalised welfare (IQM)", fontsize=8)
        ax.set_title(mech, fontsize=9)
        ax.legend(fontsize=7)
    return _fig_png(fig) + _table(("class", "policy", "reward mode", "normalised welfare IQM [95% CI]"), body) + \
        _note("Material welfare (the sum of private payoffs) means the same under every reward mode; one scale per "
              "environment serves all three (0 = heuristic/random, 1 = the highest welfare of any reference "
              "policy under any mode). Does training on the integrated or cooperative reward create more value?")


# -- trust, audit, page -----------------------------------------------------
def trust_trajectories(records: Sequence[RunRecord], max_envs: int = 12, max_policies: int = 8) -> str:
    groups: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        if r.status == "ok" and r.trajectory:
            groups[f"{lbm.env_label(r)} ({r.reward})"][lbm.policy_label(r)].append(r.trajectory)
    if not groups:
        return _note("No trust trajectories recorded.")
    keys = sorted(groups)[:max_envs]
    fig, axes = _grid(len(keys), cols=4)
    for ax, key in zip(axes, keys):
        pols = sorted(groups[key], key=lambda p: (lbm.policy_kind(p) != "learner", p))[:max_policies]
        for pol in pols:
            n = min(map(len, groups[key][pol]))
            ax.plot(np.mean([t[:n] for t in groups[key][pol]], axis=0), label=pol)
        ax.set_ylim(0, 1)
        _label(ax, key, "step", "mean trust")   # each panel its own legend: panels show different policies
    return _fig_png(fig)


def load_audit(path: str | os.PathLike) -> list[dict]:
    """Audit results as a list of {env, class[, policy]} from a mapping or a list (see module doc)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"audit file {path} is not JSON: {err}") from None
    if isinstance(data, dict):
        data = [{"env": k, "class": v} for k, v in data.items()]
    if not isinstance(data, list) or not all(isinstance(d, dict) and "env" in d and "class" in d for d in data):
        raise ValueError(f"audit file {path}: expected {{env: class}} or a list of {{env, class}} objects")
    return data


def audit_section(audit: Sequence[dict] | None) -> str:
    import matplotlib.pyplot as plt

    if not audit:
        return _note("No audit results given: run the behavioural audit and pass its JSON with --audit FILE.")
    counts = Counter(str(a["class"]) for a in audit)
    fig, ax = plt.subplots(figsize=(6, 0.8 + 0.4 * len(counts)), layout="constrained")
    names = sorted(counts, key=counts.get)
    ax.barh(names, [counts[n] for n in names], color="#c66")
    ax.set_xlabel("environments" if not any("policy" in a for a in audit) else "audited cases")
    ax.set_title("Behavioural audit classes")
    body = [(a["env"], a.get("policy", ""), a["class"]) for a in sorted(audit, key=lambda a: str(a["env"]))]
    return _fig_png(fig) + _table(("environment", "policy", "class"), body)


def generalisation_section(records: Sequence[RunRecord], crossplay: Sequence[dict] = (), reps: int = 2000) -> str:
    """The runs' scenario scores (the leaderboard's generalisation view) and the cross-play heatmaps."""
    from coopgym.runner import generalisation
    from coopgym.scenarios.crossplay import draw_heatmap

    table = generalisation.rows(records, reps=reps)
    parts = [_table(generalisation.HEAD, (generalisation.cells(r) for r in table)) if table else
             _note("No scenario scores: no run was scored on scenarios (`coopgym sweep ... --scenarios all`).")]
    for result in crossplay:
        parts.append(_fig_png(draw_heatmap(result)))
    if crossplay:
        parts.append(_note("Cross-play: the row policy in the focal seats, the column policy in every other "
                           "seat; each cell the focal per-capita return (`coopgym crossplay`)."))
    return "".join(parts)


def build_html(records: Sequence[RunRecord], *, title: str = "coopgym report", source: str = "",
               audit: Sequence[dict] | None = None, metric: str = "return", reps: int = 2000,
               crossplay: Sequence[dict] = ()) -> str:
    """The whole report page as one HTML string; ``crossplay``: results of ``coopgym crossplay`` to draw."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    records = list(records)
    ok = [r for r in records if r.status == "ok"]
    lb = lbm.build(records, metric=metric, reps=reps)
    summary = _table(("runs", "ok", "failed", "environments", "policies", "reward modes"), [(
        len(records), len(ok), len(records) - len(ok), len({r.env for r in records}),
        len({r.policy for r in records}), len({r.reward for r in records}))])
    shown = [c for c in lb.classes if c.kind != "constant"]
    classes = _table(lbm.class_head(metric), (lbm.class_cells(c, metric) for c in shown)) if shown else \
        _note("No class rows.")
    notes = "".join(_note(n) for n in lb.notes)
    env_rows = [r for r in lb.rows if r.kind != "constant"]
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>",
             _note(f"Generated {utc_now()} from {source or 'records'}. Ranking metric: {metric}. Scale per "
                   "environment, reward mode and metric: 0 = heuristic/random, 1 = the best reference policy "
                   "(oracles, constants, tit-for-tat). Intervals: 95 % bootstrap (percentile; stratified by "
                   "environment for class statistics)."), summary,
             f"<h2>Leaderboard per mechanism class ({html.escape(metric)})</h2>", classes,
             _note("Constants are left out of this table (they set the scale; see the scales and "
                   "`coopgym leaderboard`)."), notes,
             "<h2>Learning curves</h2>", learning_curves(lb, metric),
             "<h2>Performance profiles</h2>", performance_profiles(lb),
             "<h2>Probability of improvement</h2>", improvement_table(lb),
             "<h2>Reward-mode ablation on material welfare</h2>", ablation_section(lb),
             "<h2>Trust trajectories</h2>", trust_trajectories(ok),
             "<h2>Generalisation and cross-play</h2>", generalisation_section(ok, crossplay, reps),
             "<h2>Audit classes</h2>", audit_section(audit),
             f"<h2>Scales of {html.escape(metric)}</h2>", _table(lbm.SCALE_HEAD, lbm.scale_cells(lb, metric)),
             "<h2>Leaderboard per environment and reward mode</h2>",
             _table(lbm.env_head(metric), (lbm.env_cells(r, metric) for r in env_rows)), "</body></html>"]
    return "\n".join(parts)


def write_report(records: Sequence[RunRecord], out: str | os.PathLike, **kwargs: Any) -> Path:
    """Write the report atomically to ``out``; returns its path."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(build_html(records, **kwargs), encoding="utf-8")
    os.replace(tmp, path)
    return path
