"""`coopgym envs`: the environment catalogue, rendered from the specs (the README table too)."""
from __future__ import annotations

import json


def configure(parser):
    parser.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    parser.add_argument("--update-readme", metavar="PATH", help="rewrite the table between the envs markers of PATH")


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


def with_table(readme: str) -> str:
    """``readme`` with the text between <!-- envs:begin --> and <!-- envs:end --> replaced by the table."""
    begin, end = "<!-- envs:begin -->", "<!-- envs:end -->"
    if begin not in readme or end not in readme:
        raise ValueError(f"the README has no {begin} ... {end} markers")
    head, rest = readme.split(begin, 1)
    return head + begin + "\n" + markdown() + "\n" + end + rest.split(end, 1)[1]


def run(args) -> int:
    if args.update_readme:
        from pathlib import Path

        path = Path(args.update_readme)
        path.write_text(with_table(path.read_text()))
        print(f"updated the environment table in {path}")
        return 0
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
