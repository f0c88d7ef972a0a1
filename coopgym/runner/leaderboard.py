"""The leaderboard (SPEC section 10): every run metric, raw and normalised, per environment and per class.

**Scale.** For each environment x reward mode x metric (:mod:`coopgym.runner.metrics`): 0 is the mean of
``heuristic/random``'s runs, 1 the highest mean among the *reference policies* (every oracle, every constant
and ``heuristic/tit_for_tat``) measured in the same ledger or corpus. So no reference row's normalised mean
exceeds 1, and oracles are rows (markers) like any policy, not the scale. A scale whose span is degenerate
(:func:`stats.scale_problem`) leaves the normalised cells blank with the reason in the row's notes.

**Per environment x reward x policy** (one row; a policy trained at several budgets is one row per budget,
``policy@steps``): per metric, the mean over seeds with a 95 % percentile bootstrap interval (resampling
seeds), raw and normalised (the normalised interval is the raw one mapped, the mean being affine-equivariant).
Fewer than 5 seeds make the interval rough; the row says so. Rows are ranked within their environment and
reward mode on the chosen metric.

**Per mechanism class x reward x policy**: for each metric, the class' *common task set* is its environments
(under that reward) that have a normalised scale; a policy is ranked there only if it has runs on every one
of them (otherwise the cell is blank and a note names the missing environments). The statistic is the IQM of
the normalised scores over runs x tasks with a stratified bootstrap interval (strata = environments;
Agarwal et al. 2021).
"""
from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from . import stats
from .metrics import METRICS
from .records import REWARD_MODES, RunConfig, RunRecord

RANDOM_POLICY = "heuristic/random"
MIN_SEEDS = 5
KINDS = ("learner", "oracle", "heuristic", "constant", "probe")


def env_label(record: RunRecord | RunConfig) -> str:
    opts = ",".join(f"{k}={v}" for k, v in record.options)
    return f"{record.env}{{{opts}}}" if opts else record.env


def policy_label(record: RunRecord | RunConfig) -> str:
    return f"{record.policy}@{record.steps}" if record.steps else record.policy


def policy_kind(policy: str) -> str:
    """learner, oracle, heuristic, constant or probe, from the registry's naming (``oracle/...``)."""
    prefix = policy.split("@")[0].split("/")[0]
    return prefix if prefix in ("oracle", "heuristic", "constant", "probe") else "learner"


def is_reference(policy: str) -> bool:
    """Reference policies set the scale's 1: every oracle, every constant and tit-for-tat."""
    return policy_kind(policy) in ("oracle", "constant") or policy == "heuristic/tit_for_tat"


def check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    return metric


@dataclass(frozen=True)
class Scale:
    """The normalised scale of one environment x reward mode x metric."""

    low: float | None          # the random policy's mean (0)
    high: float | None         # the best reference policy's mean (1)
    best: str | None           # which reference policy that is
    problem: str | None        # why there is no scale (None: there is one)

    def normalise(self, value: float) -> float | None:
        return None if self.problem else (value - self.low) / (self.high - self.low)

    def describe(self) -> str:
        if self.problem:
            return self.problem
        return f"0 = {RANDOM_POLICY} {self.low:.6g}; 1 = {self.best} {self.high:.6g}"


@dataclass
class Row:
    """One (environment, reward, policy) row; intervals are (point, lower, upper)."""

    index: int
    env: str
    mechanism: str
    reward: str
    policy: str
    n: int
    failed: int
    values: dict                                   # metric -> raw mean interval or None
    normalised: dict                               # metric -> normalised mean interval or None
    notes: dict                                    # metric -> why a normalised cell is blank
    note: str = ""                                 # row-level note (few seeds)
    rank: int | None = None
    records: list = field(default_factory=list, repr=False)
    scores: dict = field(default_factory=dict, repr=False)        # metric -> raw per-run values
    norm_scores: dict = field(default_factory=dict, repr=False)   # metric -> normalised per-run values

    @property
    def kind(self) -> str:
        return policy_kind(self.policy)

    @property
    def key(self) -> str:
        return f"{self.env}|{self.reward}|{self.policy}"


@dataclass
class ClassRow:
    """One (mechanism class, reward, policy) row over the class' common task sets."""

    mechanism: str
    reward: str
    policy: str
    iqm: dict                  # metric -> normalised IQM interval over runs x tasks, or None
    envs: dict                 # metric -> number of environments in the common task set
    runs: dict                 # metric -> number of runs pooled
    notes: dict                # metric -> why the cell is blank
    rank: int | None = None

    @property
    def kind(self) -> str:
        return policy_kind(self.policy)

    @property
    def key(self) -> str:
        return f"{self.mechanism}|{self.reward}|{self.policy}"


@dataclass
class Leaderboard:
    metric: str                 # the ranking metric
    rows: list
    classes: list
    scales: dict                # (env, reward) -> {metric: Scale}
    task_sets: dict             # (mechanism, reward, metric) -> sorted environments
    notes: list
    _index: dict | None = field(default=None, repr=False)

    def find(self, row: str) -> Row:
        """A row by its number (as printed) or its key ``env|reward|policy``."""
        if str(row).isdigit():
            i = int(row)
            if not 1 <= i <= len(self.rows):
                raise ValueError(f"row {i} does not exist: the leaderboard has rows 1..{len(self.rows)}")
            return self.rows[i - 1]
        for r in self.rows:
            if r.key == row:
                return r
        raise ValueError(f"no leaderboard row {row!r}; give a row number or a key like "
                         f"{self.rows[0].key if self.rows else 'SLCD-v0|private|ippo@200000'}")

    def class_strata(self, mechanism: str, reward: str, policy: str, metric: str) -> list[list[float]] | None:
        """The normalised per-run scores of ``policy`` on each environment of the class' common task set
        (the strata of every class statistic), or None when the policy does not cover the set."""
        envs = self.task_sets.get((mechanism, reward, metric))
        if not envs:
            return None
        if self._index is None or len(self._index) != len(self.rows):
            self._index = {(r.env, r.reward, r.policy): r for r in self.rows}
        rows = [self._index.get((e, reward, policy)) for e in envs]
        strata = [r.norm_scores.get(metric) if r is not None else None for r in rows]
        return None if any(not s for s in strata) else strata


def build(records: Iterable[RunRecord], *, metric: str = "return", reps: int = 2000, confidence: float = 0.95,
          seed: int = 0, keep_records: bool = True) -> Leaderboard:
    """The leaderboard of a set of records (only ``ok`` runs are scored; failures are counted).

    ``records`` may be a stream (:func:`records_from` with ``stream=True``): each record is read for its
    labels and metrics and then dropped unless ``keep_records`` (``Row.records``, which ``reproduce`` and
    the report's learning curves read), so memory grows by a few floats per run, not by a record."""
    check_metric(metric)
    runs: dict[tuple, list[tuple[int, tuple]]] = defaultdict(list)     # key -> [(seed, metric values)]
    kept: dict[tuple, list[RunRecord]] = defaultdict(list)
    failed: dict[tuple, int] = defaultdict(int)
    mechanism: dict[str, str] = {}
    for r in records:
        key = (env_label(r), r.reward, policy_label(r))
        if r.mechanism:
            mechanism.setdefault(r.env, r.mechanism)
        if r.status == "ok":
            runs[key].append((r.seed, tuple(r.metric(m) for m in METRICS)))
            if keep_records:
                kept[key].append(r)
        else:
            failed[key] += 1
    if not runs and not failed:
        raise ValueError("no runs to rank: the ledger or corpus is empty")
    raw = {}
    for key, values in runs.items():
        values.sort(key=lambda v: v[0])
        raw[key] = {m: [v[1][i] for v in values] for i, m in enumerate(METRICS)}
    means = {key: {m: (float(np.mean(v)) if v and None not in v else None) for m, v in by_m.items()}
             for key, by_m in raw.items()}
    scales = _scales(means, {(e, rw) for e, rw, _ in set(runs) | set(failed)})
    rows = []
    for key in sorted(set(runs) | set(failed)):
        env, reward, pol = key
        recs = sorted(kept.get(key, []), key=lambda r: r.seed)
        rows.append(_row(env, mechanism.get(env.split("{")[0], "?"), reward, pol, len(runs.get(key, ())), recs,
                         failed.get(key, 0), raw.get(key, {}), scales[(env, reward)], reps, confidence, seed))
    by_cell: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        by_cell[(row.env, row.reward)].append(row)
    for cell in by_cell.values():
        points = [row.values[metric][0] if row.values.get(metric) else None for row in cell]
        for row, rank in zip(cell, stats.ranks(points)):
            row.rank = rank
    rows.sort(key=lambda r: (r.mechanism, r.env, r.reward, r.rank or 10**9, r.policy))
    for i, row in enumerate(rows, 1):
        row.index = i
    board = Leaderboard(metric, rows, [], scales, {}, [])
    board._index = {(r.env, r.reward, r.policy): r for r in rows}
    board.task_sets = _task_sets(rows, scales)
    board.classes = _classes(board, reps, confidence, seed)
    board.notes = _notes(board)
    return board


def _scales(means: dict, cells: set) -> dict:
    """(env, reward) -> {metric: Scale} from the random policy's and the reference policies' means."""
    by_cell: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for (env, reward, pol), v in means.items():
        by_cell[(env, reward)][pol] = v
    out = {}
    for cell in cells:
        pols = by_cell.get(cell, {})
        out[cell] = {}
        for m in METRICS:
            low = pols[RANDOM_POLICY][m] if RANDOM_POLICY in pols else None
            refs = {p: v[m] for p, v in pols.items() if is_reference(p) and v[m] is not None}
            best = max(refs, key=lambda p: (refs[p], p)) if refs else None
            high = refs.get(best)
            if RANDOM_POLICY not in pols:
                problem = f"no {RANDOM_POLICY} runs"
            elif low is None:
                problem = f"{m} is not defined here" + (" (no trust state)" if m == "trust" else " (not recorded)")
            elif best is None:
                problem = "no reference policy (oracle, constant, tit-for-tat) has runs"
            else:
                problem = stats.scale_problem(low, high)
                if problem:
                    problem = f"degenerate scale: {problem} ({best} {high:.6g} vs {RANDOM_POLICY} {low:.6g})"
            out[cell][m] = Scale(low, high, best, problem)
    return out


def _row(env, mech, reward, pol, n, recs, failed, raw, scales, reps, confidence, seed) -> Row:
    values, normalised, notes, norm_scores = {}, {}, {}, {}
    if n:
        matrix = np.array([[np.nan if x is None else x for x in raw[m]] for m in METRICS], dtype=float).T
        for m, ci in zip(METRICS, stats.mean_intervals(matrix, reps, confidence, seed)):
            values[m] = ci
            if ci is None:
                notes[m] = f"{m} is not defined or not recorded for these runs"
            elif scales[m].problem:
                notes[m] = scales[m].problem
            else:
                normalised[m] = tuple(scales[m].normalise(v) for v in ci)
                norm_scores[m] = [scales[m].normalise(v) for v in raw[m]]
    note = "" if n >= MIN_SEEDS else ("no finished run" if n == 0 else
                                      f"{n} seed{'s' if n > 1 else ''} (< {MIN_SEEDS}): the interval is rough"
                                      if n > 1 else "1 seed: no interval")
    return Row(0, env, mech, reward, pol, n, failed, values, normalised, notes, note, records=recs,
               scores=raw, norm_scores=norm_scores)


def _task_sets(rows: list[Row], scales: dict) -> dict:
    """(mechanism, reward, metric) -> the class' environments that have a normalised scale."""
    envs = defaultdict(set)
    for row in rows:
        envs[(row.mechanism, row.reward)].add(row.env)
    return {(mech, reward, m): sorted(e for e in es if not scales[(e, reward)][m].problem)
            for (mech, reward), es in envs.items() for m in METRICS}


def _classes(board: Leaderboard, reps, confidence, seed) -> list[ClassRow]:
    mechs, policies = defaultdict(set), defaultdict(set)
    for r in board.rows:
        mechs[r.reward].add(r.mechanism)
        policies[r.reward].add(r.policy)
    out = []
    # every policy of a reward mode gets a row in every class of it: absent ones say what they miss
    for mech, reward, pol in sorted((m, rw, p) for rw in mechs for m in mechs[rw] for p in policies[rw]):
        iqm, envs, runs, notes = {}, {}, {}, {}
        for m in METRICS:
            task_set = board.task_sets.get((mech, reward, m), [])
            strata = board.class_strata(mech, reward, pol, m)
            envs[m] = len(task_set)
            if not task_set:
                notes[m] = f"no {mech} environment has a scale for {m} under {reward}"
            elif strata is None:
                missing = [e for e in task_set if not getattr(board._index.get((e, reward, pol)), "norm_scores",
                                                              {}).get(m)]
                notes[m] = "not ranked: no runs on " + ", ".join(missing)
            else:
                iqm[m] = stats.interval(strata, "iqm", reps, confidence, seed)
                runs[m] = sum(map(len, strata))
        out.append(ClassRow(mech, reward, pol, iqm, envs, runs, notes))
    cells: dict[tuple, list[ClassRow]] = defaultdict(list)
    for c in out:
        cells[(c.mechanism, c.reward)].append(c)
    for cell in cells.values():
        for c, rank in zip(cell, stats.ranks([c.iqm[board.metric][0] if board.metric in c.iqm else None
                                              for c in cell])):
            c.rank = rank
    out.sort(key=lambda c: (c.mechanism, c.reward, c.rank or 10**9, c.policy))
    return out


def _notes(board: Leaderboard, shown: set[str] | None = None) -> list[str]:
    """What the tables leave out and why (never a silent blank); ``shown``: only about these policies."""
    notes = []
    m = board.metric
    bad = sorted((e, rw, s[m].problem) for (e, rw), s in board.scales.items() if s[m].problem)
    for env, reward, problem in bad:
        notes.append(f"{env} {reward}: no normalised {m} scale: {problem}")
    unranked = defaultdict(list)
    for c in board.classes:
        if shown is not None and c.policy not in shown:
            continue
        if m not in c.iqm and c.notes.get(m, "").startswith("not ranked"):
            unranked[(c.mechanism, c.reward, c.notes[m])].append(c.policy)
    for (mech, reward, why), pols in sorted(unranked.items()):
        notes.append(f"{mech} {reward}: {', '.join(pols)} {why.replace('not ranked: ', 'not ranked (')})")
    few = [r for r in board.rows if 0 < r.n < MIN_SEEDS and (shown is None or r.policy in shown)]
    if few:
        notes.append(f"{len(few)} row(s) have fewer than {MIN_SEEDS} seeds (e.g. {few[0].key}: {few[0].n}); "
                     "their intervals are rough")
    return notes


# -- rendering ---------------------------------------------------------------
def _ci(t: tuple | None, spec: str = ".3f") -> str:
    return "-" if t is None else f"{t[0]:{spec}} [{t[1]:{spec}}, {t[2]:{spec}}]"


def _point(t: tuple | None) -> str:
    return "-" if t is None else f"{t[0]:.3f}"


def env_head(metric: str) -> tuple[str, ...]:
    others = tuple(f"{m} (norm.)" for m in METRICS if m != metric)
    return ("#", "env", "class", "reward", "policy", "kind", "runs", "failed", f"{metric} mean [95% CI]",
            f"{metric} normalised [95% CI]") + others + ("rank", "note")


def class_head(metric: str) -> tuple[str, ...]:
    others = tuple(f"{m} IQM" for m in METRICS if m != metric)
    return ("class", "reward", "policy", "kind", "envs", "runs", f"{metric} normalised IQM [95% CI]") + others + (
        "rank", "note")


SCALE_HEAD = ("env", "reward", "0 = heuristic/random", "1 = best reference", "best reference", "note")


def env_cells(r: Row, metric: str) -> list[str]:
    note = "; ".join(x for x in (r.note, r.notes.get(metric, "")) if x)
    return ([str(r.index), r.env, r.mechanism, r.reward, r.policy, r.kind, str(r.n), str(r.failed),
             _ci(r.values.get(metric), ".6g"), _ci(r.normalised.get(metric))]
            + [_point(r.normalised.get(m)) for m in METRICS if m != metric]
            + [str(r.rank or "-"), note])


def class_cells(c: ClassRow, metric: str) -> list[str]:
    return ([c.mechanism, c.reward, c.policy, c.kind, str(c.envs[metric]), str(c.runs.get(metric, 0)),
             _ci(c.iqm.get(metric))] + [_point(c.iqm.get(m)) for m in METRICS if m != metric]
            + [str(c.rank or "-"), c.notes.get(metric, "")])


def scale_cells(lb: Leaderboard, metric: str) -> list[list[str]]:
    out = []
    for (env, reward), by_m in sorted(lb.scales.items()):
        s = by_m[metric]
        num = lambda v: "-" if v is None else f"{v:.6g}"  # noqa: E731
        out.append([env, reward, num(s.low), num(s.high), s.best or "-", s.problem or ""])
    return out


def _keep(kinds: Iterable[str] | None):
    if kinds is None:
        return lambda row: True
    kinds = set(kinds)
    bad = kinds - set(KINDS)
    if bad:
        raise ValueError(f"unknown policy kind(s) {', '.join(sorted(bad))}; choose from {', '.join(KINDS)}")
    return lambda row: row.kind in kinds


def matches(policy: str, patterns: Iterable[str]) -> bool:
    """Whether a policy label (``ippo@200000``) is one of ``patterns``: names or shell patterns (``constant/*``)."""
    import fnmatch

    return any(fnmatch.fnmatchcase(policy.split("@")[0], p) or policy == p for p in patterns)


def _named(patterns: Iterable[str] | None):
    if patterns is None:
        return lambda row: True
    patterns = list(patterns)
    return lambda row: matches(row.policy, patterns)


def mode_order(rewards: Iterable[str]) -> list[str]:
    """Reward modes in display order: private, integrated, cooperative, then any m=<mutuality> by name."""
    known = [r for r in REWARD_MODES if r in set(rewards)]
    return known + sorted(set(rewards) - set(known))


def class_columns(classes: Iterable[ClassRow]) -> list[tuple[str, str]]:
    """The (mechanism, reward) pairs of ``classes`` in display order."""
    pairs = {(c.mechanism, c.reward) for c in classes}
    return [(m, r) for m in sorted({m for m, _ in pairs}) for r in mode_order({r for _, r in pairs}) if (m, r) in pairs]


def summary(lb: Leaderboard, classes: list[ClassRow]) -> tuple[tuple[str, ...], list[list[str]]]:
    """The headline pivot of ``classes``: one row per policy, one column per (class, reward mode), each cell
    the normalised IQM of the ranking metric with its interval ("-" where the policy is not ranked: the
    class rows' notes say why). Policies in kind order (learners first), then by name."""
    m = lb.metric
    columns = class_columns(classes)
    cells = {(c.policy, c.mechanism, c.reward): c.iqm.get(m) for c in classes}
    order = {k: i for i, k in enumerate(KINDS)}
    policies = sorted({c.policy for c in classes}, key=lambda p: (order.get(policy_kind(p), len(order)), p))
    fmt = lambda t: "-" if t is None else f"{t[0]:.2f} [{t[1]:.2f}, {t[2]:.2f}]"  # noqa: E731
    head = ("policy",) + tuple(f"{mech} {reward}" for mech, reward in columns)
    return head, [[p] + [fmt(cells.get((p, *col))) for col in columns] for p in policies]


def render(lb: Leaderboard, fmt: str = "table", *, kinds: Iterable[str] | None = None, level: str = "all",
           policies: Iterable[str] | None = None, top: int | None = None) -> str:
    """The leaderboard as ``table`` (rich), ``markdown`` or ``csv`` text. ``kinds`` shows only rows of
    those policy kinds, ``policies`` only the policies matching these names or shell patterns
    (``constant/*``), ``top`` only ranks 1..top of each table group; ranks stay those among all
    policies. ``level``: env, class, all, or summary (the class IQMs as one policy x (class, reward) table,
    the README's headline)."""
    if level not in ("env", "class", "all", "summary"):
        raise ValueError(f"unknown level {level!r}; choose env, class, all or summary")
    if top is not None and top < 1:
        raise ValueError(f"--top must be a positive number of rows, got {top}")
    by_kind, by_name = _keep(kinds), _named(policies)
    keep = lambda row: by_kind(row) and by_name(row) and (top is None or (row.rank or 0) <= top)
    rows = [r for r in lb.rows if keep(r)] if level in ("env", "all") else []
    classes = [c for c in lb.classes if keep(c)] if level != "env" else []
    notes = lb.notes if policies is None and kinds is None else _notes(lb, {x.policy for x in [*rows, *classes]})
    m = lb.metric
    if level == "summary":
        head, body = summary(lb, classes)
        if fmt == "csv":
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows([head, *body])
            return buf.getvalue()
        sections = [(f"{m}: normalised IQM over runs x tasks per mechanism class and reward mode, 95% CI "
                     "(0 = random, 1 = best reference)", head, body)]
    elif fmt == "csv":
        return to_csv(lb, rows, classes, with_scales=level != "class")
    else:
        sections = [(f"Per mechanism class: {m}, normalised IQM over runs x tasks (0 = random, 1 = best reference)",
                     class_head(m), [class_cells(c, m) for c in classes]),
                    (f"Scales of {m} per environment and reward mode", SCALE_HEAD,
                     scale_cells(lb, m) if level in ("env", "all") else []),
                    (f"Per environment and reward mode: {m}, mean over seeds", env_head(m),
                     [env_cells(r, m) for r in rows])]
    if fmt == "markdown":
        def md(head, body):
            lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            return "\n".join(lines + ["| " + " | ".join(cells) + " |" for cells in body])
        parts = []
        for title, head, body in sections:
            if body:
                parts += [f"## {title}", "", md(head, body), ""]
        return "\n".join(parts + [f"_{n}_\n" for n in notes])
    if fmt == "table":
        from rich.console import Console
        from rich.table import Table

        buf = io.StringIO()
        console = Console(file=buf, width=220, force_terminal=False)
        for title, head, body in sections:
            if body:
                table = Table(*head, title=title, show_lines=False)
                for cells in body:
                    table.add_row(*cells)
                console.print(table)
        for note in notes:
            console.print(f"note: {note}", markup=False, highlight=False)
        return buf.getvalue()
    raise ValueError(f"unknown format {fmt!r}; choose table, markdown or csv")


CSV_STATS = ("", "_lo", "_hi", "_norm", "_norm_lo", "_norm_hi", "_note")


def csv_columns() -> list[str]:
    return (["level", "row", "key", "env", "mechanism", "reward", "policy", "kind", "runs", "failed", "envs",
             "statistic"] + [f"{m}{suffix}" for m in METRICS for suffix in CSV_STATS] + ["rank", "ranked_by", "note"])


def to_csv(lb: Leaderboard, rows: list | None = None, classes: list | None = None, with_scales: bool = True) -> str:
    """One CSV: ``level`` env (raw mean and normalised mean per metric with intervals), class (normalised
    IQM over runs x tasks; raw values of different environments are not pooled, so those columns are
    empty) and scale (per environment and reward: ``<metric>`` the value at 1, ``<metric>_lo`` at 0,
    ``<metric>_note`` which reference sets 1 or why there is no scale). Numbers unrounded."""
    rows = lb.rows if rows is None else rows
    classes = lb.classes if classes is None else classes
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(csv_columns())
    triple = lambda t: ["", "", ""] if t is None else list(t)  # noqa: E731
    for r in rows:
        cells = []
        for m in METRICS:
            cells += triple(r.values.get(m)) + triple(r.normalised.get(m)) + [r.notes.get(m, "")]
        w.writerow(["env", r.index, r.key, r.env, r.mechanism, r.reward, r.policy, r.kind, r.n, r.failed, 1,
                    "mean over seeds"] + cells + [r.rank or "", lb.metric, r.note])
    for c in classes:
        cells = []
        for m in METRICS:
            cells += ["", "", ""] + triple(c.iqm.get(m)) + [c.notes.get(m, "")]
        w.writerow(["class", "", c.key, "", c.mechanism, c.reward, c.policy, c.kind, c.runs.get(lb.metric, 0), "",
                    c.envs[lb.metric], "IQM over runs x tasks"] + cells + [c.rank or "", lb.metric, ""])
    if with_scales:
        mechanism = {r.env: r.mechanism for r in lb.rows}
        for (env, reward), by_m in sorted(lb.scales.items()):
            cells = []
            for m in METRICS:
                s = by_m[m]
                cells += [s.high if s.best else "", s.low if s.low is not None else "", "", "", "", "",
                          s.problem or f"1 = {s.best}"]
            w.writerow(["scale", "", f"{env}|{reward}", env, mechanism.get(env, ""), reward, "", "", "", "", 1, "reference means"]
                       + cells + ["", "", ""])
    return buf.getvalue()


def records_from(ledger: str | None = None, corpus: str | None = None, *, envs: Iterable[str] | None = None,
                 rewards: Iterable[str] | None = None, skip: Iterable[str] = (),
                 stream: bool = False) -> list[RunRecord] | Iterator[RunRecord]:
    """Records from a ledger (default location when neither is given) or an exported corpus; ``envs`` and
    ``rewards`` keep only those runs (read selectively from a corpus' Parquet file), and from a corpus
    ``skip`` leaves out per-step columns the caller does not read. ``stream=True``: an iterator that reads
    as it goes (a corpus batch by batch, a ledger row by row), for :func:`build` with ``keep_records=False``."""
    if ledger and corpus:
        raise ValueError("give --ledger or --corpus, not both")
    if corpus:
        from .corpus import iter_corpus

        found = iter_corpus(corpus, envs=envs, rewards=rewards, skip=skip)
        return found if stream else list(found)
    from .ledger import default_ledger_path

    path = Path(ledger or default_ledger_path())
    if not ledger and not path.exists():
        main_job = Path("runs") / "main.sqlite"
        hint = (f"; `coopgym main` wrote its runs to {main_job}: give --ledger {main_job}" if main_job.exists()
                else "; give --ledger PATH or --corpus DIR (e.g. --corpus corpus, the released runs)")
        raise FileNotFoundError(f"the default ledger {path} does not exist{hint}")
    found = _ledger_records(path, None if envs is None else set(envs), None if rewards is None else set(rewards))
    return found if stream else list(found)


def _ledger_records(path: Path, envs: set | None, rewards: set | None) -> Iterator[RunRecord]:
    from .ledger import Ledger

    with Ledger(path, create=False) as ledger:
        yield from (r for r in ledger.iter_records()
                    if (envs is None or r.env in envs) and (rewards is None or r.reward in rewards))
