"""The leaderboard: per environment and reward mode, and per mechanism class, with bootstrap intervals.

A run's score is R, the mean over agents of its per-agent mean returns. Per
(environment, reward, policy): mean and IQM of R over seeds with 95 %
bootstrap intervals; the normalised score (R - R_random) / (R_oracle - R_random)
with R_random the mean R of ``heuristic/random`` and R_oracle the mean R of
``oracle/equilibrium`` on the same environment and reward (the records'
``oracle_return`` when the oracle was not run), left blank where the oracle
does not beat random by 1 % (``stats.MIN_SPAN``); the gap % to the oracle; and
the rank within the environment. Per (mechanism class, reward, policy): the
normalised scores pooled over the class' environments, with *stratified*
bootstrap intervals (strata = environments), and the rank within the class.
"""
from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from . import stats
from .records import RunConfig, RunRecord

RANDOM_POLICY = "heuristic/random"
ORACLE_POLICY = "oracle/equilibrium"


def env_label(record: RunRecord | RunConfig) -> str:
    opts = ",".join(f"{k}={v}" for k, v in record.options)
    return f"{record.env}{{{opts}}}" if opts else record.env


def policy_label(record: RunRecord | RunConfig) -> str:
    return f"{record.policy}@{record.steps}" if record.steps else record.policy


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
    mean: tuple
    iqm: tuple
    norm_iqm: tuple | None
    gap: float | None
    rank: int | None = None
    configs: list = field(default_factory=list, repr=False)
    scores: list = field(default_factory=list, repr=False)
    norm_scores: list | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return f"{self.env}|{self.reward}|{self.policy}"


@dataclass
class ClassRow:
    """One (mechanism class, reward, policy) row over the class' environments."""

    mechanism: str
    reward: str
    policy: str
    n_envs: int
    n_runs: int
    norm_mean: tuple
    norm_iqm: tuple
    rank: int | None = None


@dataclass
class Leaderboard:
    rows: list
    classes: list
    notes: list

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
                         f"{self.rows[0].key if self.rows else 'SLCD-v0|private|ippo@100000'}")


def _affine(ci: tuple, lo_ref: float, hi_ref: float) -> tuple | None:
    """An interval of R mapped to the normalised scale (IQM and mean are affine-equivariant)."""
    vals = [stats.normalised(v, lo_ref, hi_ref) for v in ci]
    if vals[0] is None:
        return None
    return (vals[0], min(vals[1:]), max(vals[1:]))


def build(records: Iterable[RunRecord], *, reps: int = 2000, confidence: float = 0.95, seed: int = 0,
          random_policy: str = RANDOM_POLICY, oracle_policy: str = ORACLE_POLICY) -> Leaderboard:
    """The leaderboard of a set of records (only ``ok`` runs are scored; failures are counted)."""
    groups: dict[tuple, list[RunRecord]] = defaultdict(list)
    failed: dict[tuple, int] = defaultdict(int)
    mechanism: dict[str, str] = {}
    for r in records:
        key = (env_label(r), r.reward, policy_label(r))
        if r.mechanism:
            mechanism.setdefault(r.env, r.mechanism)
        if r.status == "ok" and r.team_return is not None and math.isfinite(r.team_return):
            groups[key].append(r)
        else:
            failed[key] += 1
    if not groups and not failed:
        raise ValueError("no runs to rank: the ledger or corpus is empty")
    notes: list[str] = []
    ref_rand: dict[tuple, float] = {}
    ref_orc: dict[tuple, float] = {}
    for (env, reward, pol), recs in groups.items():
        if pol == random_policy:
            ref_rand[(env, reward)] = float(np.mean([r.team_return for r in recs]))
        if pol == oracle_policy:
            ref_orc[(env, reward)] = float(np.mean([r.team_return for r in recs]))
    for (env, reward, _), recs in groups.items():
        given = [r.oracle_return for r in recs if r.oracle_return is not None]
        if (env, reward) not in ref_orc and given:
            ref_orc[(env, reward)] = float(np.mean(given))
    rows: list[Row] = []
    for key in sorted(set(groups) | set(failed)):
        env, reward, pol = key
        recs = sorted(groups.get(key, []), key=lambda r: r.seed)
        env_name = (recs[0].env if recs else env.split("{")[0])
        scores = [r.team_return for r in recs]
        nan3 = (math.nan,) * 3
        ci = stats.intervals(scores, ("mean", "iqm"), reps, confidence, seed) if scores else {}
        lo, hi = ref_rand.get((env, reward)), ref_orc.get((env, reward))
        norm = _affine(ci["iqm"], lo, hi) if scores and lo is not None and hi is not None else None
        gap = stats.gap_percent(float(np.mean(scores)), hi) if scores and hi is not None else None
        rows.append(Row(0, env, mechanism.get(env_name, "?"), reward, pol, len(scores), failed.get(key, 0),
                        ci.get("mean", nan3), ci.get("iqm", nan3), norm, gap,
                        configs=[r.config for r in recs], scores=scores,
                        norm_scores=[stats.normalised(x, lo, hi) for x in scores] if norm else None))
    missing = sorted({(r.env, r.reward) for r in rows} - set(ref_rand))
    if missing:
        notes.append(f"no {random_policy} runs for {len(missing)} environment/reward pair(s) "
                     f"(e.g. {missing[0][0]} {missing[0][1]}): their normalised scores are blank")
    flat = sorted({(env, reward) for (env, reward), lo in ref_rand.items() if (env, reward) in ref_orc
                   and stats.normalised(lo, lo, ref_orc[(env, reward)]) is None})
    if flat:
        notes.append(f"{oracle_policy} does not beat {random_policy} by {stats.MIN_SPAN:.0%} on "
                     + ", ".join(f"{e} {r}" for e, r in flat) + ": no normalised scale there (blank)")
    by_cell: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        by_cell[(row.env, row.reward)].append(row)
    for cell in by_cell.values():
        for row, rank in zip(cell, stats.ranks([r.iqm[0] if r.n else None for r in cell])):
            row.rank = rank
    rows.sort(key=lambda r: (r.mechanism, r.env, r.reward, r.rank or 10**9, r.policy))
    for i, row in enumerate(rows, 1):
        row.index = i
    return Leaderboard(rows, _classes(rows, reps, confidence, seed), notes)


def _classes(rows: Sequence[Row], reps, confidence, seed) -> list[ClassRow]:
    strata: dict[tuple, dict[str, list[float]]] = defaultdict(dict)
    for row in rows:
        if row.norm_scores:
            strata[(row.mechanism, row.reward, row.policy)][row.env] = row.norm_scores
    out = []
    for (mech, reward, pol), by_env in sorted(strata.items()):
        ci = stats.intervals(list(by_env.values()), ("mean", "iqm"), reps, confidence, seed)
        out.append(ClassRow(mech, reward, pol, len(by_env), sum(map(len, by_env.values())),
                            ci["mean"], ci["iqm"]))
    cells: dict[tuple, list[ClassRow]] = defaultdict(list)
    for c in out:
        cells[(c.mechanism, c.reward)].append(c)
    for cell in cells.values():
        for c, rank in zip(cell, stats.ranks([c.norm_iqm[0] for c in cell])):
            c.rank = rank
    out.sort(key=lambda c: (c.mechanism, c.reward, c.rank or 10**9, c.policy))
    return out


# -- rendering ---------------------------------------------------------------
def _num(x: float | None, digits: int = 2) -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{digits}f}"


def _ci(t: tuple | None, digits: int = 2) -> str:
    return "-" if t is None or not math.isfinite(t[0]) else f"{t[0]:.{digits}f} [{t[1]:.{digits}f}, {t[2]:.{digits}f}]"


ENV_HEAD = ("#", "env", "class", "reward", "policy", "runs", "failed", "mean [95% CI]", "IQM [95% CI]",
            "normalised IQM [95% CI]", "gap %", "rank")
CLASS_HEAD = ("class", "reward", "policy", "envs", "runs", "normalised mean [95% CI]",
              "normalised IQM [95% CI]", "rank")


def _env_cells(r: Row) -> list[str]:
    return [str(r.index), r.env, r.mechanism, r.reward, r.policy, str(r.n), str(r.failed), _ci(r.mean),
            _ci(r.iqm), _ci(r.norm_iqm, 3), _num(r.gap, 1), _num(r.rank, 0) if r.rank else "-"]


def _class_cells(c: ClassRow) -> list[str]:
    return [c.mechanism, c.reward, c.policy, str(c.n_envs), str(c.n_runs), _ci(c.norm_mean, 3),
            _ci(c.norm_iqm, 3), str(c.rank or "-")]


def render(lb: Leaderboard, fmt: str = "table") -> str:
    """The leaderboard as ``table`` (rich), ``markdown`` or ``csv`` text."""
    if fmt == "csv":
        return to_csv(lb)
    if fmt == "markdown":
        def md(head, body):
            lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            return "\n".join(lines + ["| " + " | ".join(cells) + " |" for cells in body])
        parts = ["## Per environment and reward mode", "", md(ENV_HEAD, map(_env_cells, lb.rows))]
        if lb.classes:
            parts += ["", "## Per mechanism class (normalised: random 0, equilibrium oracle 1)", "",
                      md(CLASS_HEAD, map(_class_cells, lb.classes))]
        return "\n".join(parts + [f"\n_{n}_" for n in lb.notes]) + "\n"
    if fmt == "table":
        from rich.console import Console
        from rich.table import Table

        buf = io.StringIO()
        console = Console(file=buf, width=200, force_terminal=False)
        for title, head, body in (("Per environment and reward mode", ENV_HEAD, map(_env_cells, lb.rows)),
                                  ("Per mechanism class (normalised: random 0, equilibrium oracle 1)",
                                   CLASS_HEAD, map(_class_cells, lb.classes))):
            table = Table(*head, title=title, show_lines=False)
            for cells in body:
                table.add_row(*cells)
            if table.row_count:
                console.print(table)
        for note in lb.notes:
            console.print(f"note: {note}")
        return buf.getvalue()
    raise ValueError(f"unknown format {fmt!r}; choose table, markdown or csv")


def to_csv(lb: Leaderboard) -> str:
    """Both levels in one CSV (``level`` = env or class), numbers unrounded."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["level", "row", "key", "env", "mechanism", "reward", "policy", "runs", "failed", "mean", "mean_lo",
                "mean_hi", "iqm", "iqm_lo", "iqm_hi", "norm_iqm", "norm_iqm_lo", "norm_iqm_hi", "norm_mean",
                "norm_mean_lo", "norm_mean_hi", "gap_percent", "rank"])
    blank = ("", "", "")
    for r in lb.rows:
        w.writerow(["env", r.index, r.key, r.env, r.mechanism, r.reward, r.policy, r.n, r.failed, *r.mean, *r.iqm,
                    *(r.norm_iqm or blank), *blank, "" if r.gap is None else r.gap, r.rank or ""])
    for c in lb.classes:
        w.writerow(["class", "", f"{c.mechanism}|{c.reward}|{c.policy}", "", c.mechanism, c.reward, c.policy,
                    c.n_runs, "", *blank, *blank, *c.norm_iqm, *c.norm_mean, "", c.rank or ""])
    return buf.getvalue()


# -- reproduce ---------------------------------------------------------------
def reproduce(lb: Leaderboard, row: str, *, run_fn=None, workers: int | None = None, backend: str = "local",
              new_seeds: bool = False) -> dict:
    """Re-run one row's configurations and check the new IQM against the row's published interval.

    Same seeds (default): a determinism check, the returns should be identical.
    ``new_seeds``: as many fresh seeds (above the largest used), a statistical replication.
    Nothing is written to any ledger.
    """
    from dataclasses import replace

    from .backends import make_backend

    target = lb.find(row)
    if not target.configs:
        raise ValueError(f"row {target.index} ({target.key}) has no finished run to reproduce")
    configs = target.configs
    if new_seeds:
        top = max(c.seed for c in configs) + 1
        configs = [replace(c, seed=top + i) for i, c in enumerate(configs)]
    runner = make_backend(backend, workers=workers, run_fn=run_fn)
    try:
        records = list(runner.run(configs))
    finally:
        runner.close()
    bad = [r for r in records if r.status != "ok"]
    if bad:
        raise RuntimeError(f"{len(bad)} of {len(records)} re-runs failed; first: {bad[0].error}")
    by_hash = {r.config_hash: r.team_return for r in records}
    scores = [by_hash[c.config_hash] for c in configs]
    new = stats.interval(scores, "iqm", seed=0)[0]
    _, lo, hi = target.iqm
    return {"row": target.index, "key": target.key, "runs": len(scores), "published_iqm": target.iqm,
            "new_iqm": new, "inside": lo - 1e-9 <= new <= hi + 1e-9,
            "identical": None if new_seeds else bool(np.allclose(scores, target.scores, rtol=0, atol=1e-9)),
            "new_seeds": new_seeds}


def records_from(ledger: str | None = None, corpus: str | None = None) -> list[RunRecord]:
    """Records from a ledger (default location when neither is given) or an exported corpus."""
    if ledger and corpus:
        raise ValueError("give --ledger or --corpus, not both")
    if corpus:
        from .corpus import load_corpus

        return load_corpus(corpus)
    from .ledger import default_ledger_path, read_records

    return read_records(ledger or default_ledger_path())
