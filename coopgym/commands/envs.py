"""`coopgym envs`: the environment catalogue, rendered from the specs (the README table too)."""
from __future__ import annotations

import json


def configure(parser):
    parser.add_argument("--format", choices=("table", "markdown", "json"), default="table")


def catalogue() -> list[dict]:
    """One row per environment, from its spec: the single source of the docs' tables."""
    from coopgym.envs import REGISTRY

    rows = []
    for spec in REGISTRY.values():
        lo, hi = spec.allowed_n
        rows.append({
            "id": spec.id, "class": f"{spec.mechanism} {spec.mechanism_name}",
            "agents": str(spec.n_agents) + ("" if lo == hi else f" ({lo}-{hi})"),
            "horizon": spec.horizon, "case": spec.case or "",
            "phases": ", ".join(spec.phases) if spec.phases else "",
            "ends": spec.terminates, "summary": spec.summary,
        })
    return rows


def markdown() -> str:
    cols = ["id", "class", "agents", "horizon", "case", "phases", "ends", "summary"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in catalogue()]
    return "\n".join(lines)


def run(args) -> int:
    rows = catalogue()
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    elif args.format == "markdown":
        print(markdown())
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"coopgym: {len(rows)} environments")
        for c in ("id", "class", "agents", "horizon", "case", "ends"):
            table.add_column(c)
        for r in rows:
            table.add_row(*(str(r[c]) for c in ("id", "class", "agents", "horizon", "case", "ends")))
        Console(width=160).print(table)
    return 0
