"""`coopgym policies`: the policy registry (kind, family, reference, whether it trains)."""
from __future__ import annotations

import json


def configure(parser):
    parser.add_argument("--kind", default=None, help="only this kind: learner, oracle, heuristic, constant, probe")
    parser.add_argument("--json", action="store_true")


def run(args) -> int:
    from coopgym.baselines import REGISTRY

    rows = [{"name": e.name, "kind": e.kind, "family": e.family, "trains": e.trains, "reference": e.reference}
            for e in REGISTRY.values() if args.kind is None or e.kind == args.kind]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    from collections import Counter

    from rich.console import Console
    from rich.table import Table

    counts = Counter(r["kind"] for r in rows)
    table = Table(title=f"{len(rows)} policies: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    for col in ("name", "kind", "family", "trains", "reference"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["kind"], r["family"], "yes" if r["trains"] else "", r["reference"])
    Console(width=180).print(table)
    return 0
