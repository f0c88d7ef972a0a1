"""`coopgym leaderboard reproduce ROW`: re-run one leaderboard row's seeds and tell two things apart.

1. **Determinism**: each re-run equals its stored record on every metric and every agent's mean return
   within a relative ``RTOL`` = 1e-6 (|a - b| <= 1e-6 max(|a|, |b|), or both within ``ATOL`` of 0).
   Where they differ, the library versions (numpy, numba, torch, stable-baselines3, ... and the code's git
   commit) that differ between the stored record and the re-run are named: floating-point results move with
   them, and a run is only expected to repeat bit for bit on the same stack.
2. **Agreement**: the re-runs' mean of the ranking metric lies inside the row's bootstrap interval, its ends
   widened by the same relative ``RTOL`` (a row whose seeds all gave one value has a zero-width interval, and
   values within the tolerance count as equal).

The verdict holds only when both do. ``new_seeds`` re-runs on as many fresh seeds instead (a replication):
determinism is then not checked, agreement is. Nothing is written to any ledger.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .leaderboard import Leaderboard
from .metrics import METRICS
from .records import VERSIONED, RunRecord

RTOL = 1e-6
ATOL = 1e-12   # values this close to 0 are 0 (round-off of a quantity that is 0 in exact arithmetic)


def close(a: float | None, b: float | None, rtol: float = RTOL) -> bool:
    """Equal within ``rtol`` relative to the larger magnitude; None equals only None."""
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=rtol, abs_tol=ATOL)


def differences(stored: RunRecord, rerun: RunRecord, rtol: float = RTOL) -> list[str]:
    """What differs between a stored record and its re-run (empty: the run reproduced)."""
    if rerun.status != "ok":
        return [f"the re-run failed: {(rerun.error or '').splitlines()[0] if rerun.error else '?'}"]
    out = []
    for m in METRICS:
        a, b = stored.metric(m), rerun.metric(m)
        if not close(a, b, rtol):
            rel = "" if a is None or b is None else f" (relative {abs(a - b) / max(abs(a), abs(b)):.2g})"
            out.append(f"{m} {a} -> {b}{rel}")
    if len(stored.mean_return) != len(rerun.mean_return) or not all(
            close(a, b, rtol) for a, b in zip(stored.mean_return, rerun.mean_return)):
        out.append(f"per-agent mean return {stored.mean_return} -> {rerun.mean_return}")
    return out


def version_changes(stored: dict, rerun: dict) -> dict[str, tuple]:
    """{name: (stored, re-run)} for the versions that differ (a missing one counts as a difference)."""
    names = ("python",) + VERSIONED + ("git_commit",)
    return {k: (stored.get(k), rerun.get(k)) for k in names if stored.get(k) != rerun.get(k)}


@dataclass
class Verdict:
    row: int
    key: str
    metric: str
    runs: int
    new_seeds: bool
    interval: tuple                      # the row's (mean, lower, upper) of the metric
    rerun_mean: float | None
    agrees: bool
    deterministic: bool | None           # None with new seeds
    differing: dict = field(default_factory=dict)   # seed -> differences
    versions: dict = field(default_factory=dict)    # name -> (stored, re-run), over all runs

    @property
    def ok(self) -> bool:
        return self.agrees and self.deterministic is not False

    def lines(self) -> list[str]:
        how = "fresh seeds" if self.new_seeds else "its seeds"
        mean, lo, hi = self.interval
        out = [f"row {self.row} {self.key}: re-ran {self.runs} runs on {how}"]
        if self.deterministic is None:
            out.append("  determinism: not checked (fresh seeds have no stored records)")
        elif self.deterministic:
            out.append(f"  determinism: PASS, every re-run equals its record within relative {RTOL:g}")
        else:
            out.append(f"  determinism: FAIL, {len(self.differing)} of {self.runs} re-runs differ from their records")
            for seed, diffs in sorted(self.differing.items())[:5]:
                out.append(f"    seed {seed}: " + "; ".join(diffs[:4]))
        if self.versions:
            out.append("  versions differ from the records': " + ", ".join(
                f"{k} {a} -> {b}" for k, (a, b) in self.versions.items()))
        elif self.deterministic is False:
            out.append("  versions: the same as the records' (the difference is not a library change)")
        shown = "-" if self.rerun_mean is None else f"{self.rerun_mean:.6g}"
        out.append(f"  agreement: {'PASS' if self.agrees else 'FAIL'}, re-run mean {self.metric} {shown} "
                   f"{'inside' if self.agrees else 'outside'} the row's 95% CI [{lo:.6g}, {hi:.6g}] (mean {mean:.6g})")
        return out


def reproduce(lb: Leaderboard, row: str, *, run_fn=None, workers: int | None = None, backend: str = "local",
              new_seeds: bool = False, rtol: float = RTOL) -> Verdict:
    """Re-run the row's configs (or fresh seeds) and judge determinism and agreement on ``lb.metric``."""
    from .backends import make_backend

    target = lb.find(row)
    if not target.records:
        raise ValueError(f"row {target.index} ({target.key}) has no finished run to reproduce")
    interval = target.values.get(lb.metric)
    if interval is None:
        raise ValueError(f"row {target.index} ({target.key}) has no {lb.metric} values to agree with")
    stored = {r.config_hash: r for r in target.records}
    configs = [r.config for r in target.records]
    if new_seeds:
        top = max(c.seed for c in configs) + 1
        configs = [replace(c, seed=top + i) for i, c in enumerate(configs)]
    runner = make_backend(backend, workers=workers, run_fn=run_fn)
    try:
        reruns = {r.config_hash: r for r in runner.run(configs)}
    finally:
        runner.close()
    values = [reruns[c.config_hash].metric(lb.metric) for c in configs if reruns[c.config_hash].status == "ok"]
    rerun_mean = float(np.mean(values)) if values and None not in values else None
    _, lo, hi = interval
    slack = rtol * max(abs(lo), abs(hi)) + ATOL
    agrees = rerun_mean is not None and len(values) == len(configs) and lo - slack <= rerun_mean <= hi + slack
    versions: dict = {}
    for c in configs:
        old = stored.get(c.config_hash) or target.records[0]
        versions.update(version_changes(old.versions, reruns[c.config_hash].versions))
    if new_seeds:
        return Verdict(target.index, target.key, lb.metric, len(configs), True, interval, rerun_mean, agrees,
                       None, versions=versions)
    differing = {}
    for c in configs:
        diffs = differences(stored[c.config_hash], reruns[c.config_hash], rtol)
        if diffs:
            differing[c.seed] = diffs
    return Verdict(target.index, target.key, lb.metric, len(configs), False, interval, rerun_mean, agrees,
                   not differing, differing, versions)
