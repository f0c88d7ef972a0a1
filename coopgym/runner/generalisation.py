"""The leaderboard's generalisation view: how the final policies of the runs fare in held-out scenarios.

Each run that was given ``scenarios`` (``coopgym sweep --scenarios all``) stores, per scenario, the
focal per-capita return normalised between the scenario's random focal (0) and its best focal
response (1) (:mod:`coopgym.scenarios.references`). A row here pools one policy's runs (trained under
one reward mode) per scenario kind (cooperators, defectors, reciprocators, mixed) and per layout
(resident, visitor): the IQM of the normalised scores over scenarios x seeds with a stratified
bootstrap 95 % interval, strata being the scenarios (Agarwal et al. 2021), the statistics of the
leaderboard's class rows (:func:`coopgym.scenarios.evaluate.summarise`).
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Iterable, Sequence

from coopgym.runner.leaderboard import policy_kind, policy_label
from coopgym.runner.records import RunRecord

HEAD = ("policy", "kind", "trained under", "group", "scenarios", "scores", "IQM", "95% CI")


def rows(records: Iterable[RunRecord], reps: int = 2000) -> list[dict]:
    """One row per (policy, training reward, scenario kind or layout), in policy order."""
    from coopgym.scenarios.evaluate import summarise

    scores: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in records:
        if r.status == "ok" and r.scenario_scores:
            scores[(policy_label(r), r.reward)] += r.scenario_scores
    out = []
    for (policy, reward), mine in sorted(scores.items()):
        for by in ("kind", "layout"):
            for entry in summarise(mine, by=by, reps=reps):
                out.append({"policy": policy, "kind": policy_kind(policy), "reward": reward,
                            "group": f"{by}: {entry[by]}", "scenarios": entry["scenarios"],
                            "scores": sum(1 for s in mine if s[by] == entry[by] and s["normalised"] is not None),
                            "iqm": entry["iqm"], "lower": entry["lower"], "upper": entry["upper"]})
    return out


def cells(row: dict) -> list[str]:
    iqm = "-" if row["iqm"] is None else f"{row['iqm']:.3f}"
    ci = "-" if row["lower"] is None else f"[{row['lower']:.3f}, {row['upper']:.3f}]"
    return [row["policy"], row["kind"], row["reward"], row["group"], str(row["scenarios"]), str(row["scores"]),
            iqm, ci]


def render(table: Sequence[dict], fmt: str = "table") -> str:
    """The view as ``table`` (rich), ``markdown`` or ``csv`` text."""
    if not table:
        return ("No scenario scores: no run of this source was scored on scenarios "
                "(`coopgym sweep ... --scenarios all` records them).\n")
    title = ("Generalisation: the final policy in held-out scenarios, normalised focal return "
             "(0 = random focal, 1 = best focal response), IQM over scenarios x seeds")
    body = [cells(r) for r in table]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(HEAD)
        writer.writerows(body)
        return buf.getvalue()
    if fmt == "markdown":
        lines = [f"## {title}", "", "| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
        return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in body]) + "\n"
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    rich_table = Table(*HEAD, title=title)
    for row_cells in body:
        rich_table.add_row(*row_cells)
    Console(file=buf, width=200, force_terminal=False).print(rich_table)
    return buf.getvalue()
