"""`coopgym policies`: the policy registry (kind, family, reference, whether it trains, its objective)."""
from __future__ import annotations

import json

#: the reference set of SPEC section 8 (the audit's scripted probes are listed too, as kind "probe")
REFERENCE_KINDS = ("learner", "oracle", "heuristic", "constant")


def configure(parser):
    parser.add_argument("--kind", default=None, help="only this kind: learner, oracle, heuristic, constant, probe")
    parser.add_argument("--family", default=None, help="only this family, e.g. independent, centralised")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list of {name, kind, family, trains, reference, objective}")


def objective(entry) -> str:
    """What a registered policy does or optimises: the registry's text for the lazily imported oracles
    and learners (``coopgym.objectives``), the ``objective`` of every other (cheap) policy."""
    return entry.objective or getattr(entry.factory(), "objective", "")


def rows(kind: str | None = None, family: str | None = None) -> list[dict]:
    from coopgym.registry import REGISTRY

    return [{"name": e.name, "kind": e.kind, "family": e.family, "trains": e.trains, "reference": e.reference,
             "objective": objective(e)}
            for e in REGISTRY.values()
            if (kind is None or e.kind == kind) and (family is None or e.family == family)]


def run(args) -> int:
    from coopgym.registry import REGISTRY

    kinds = sorted({e.kind for e in REGISTRY.values()})
    if args.kind is not None and args.kind not in kinds:
        raise ValueError(f"unknown kind {args.kind!r}; choose one of {', '.join(kinds)}")
    families = sorted({e.family for e in REGISTRY.values()})
    if args.family is not None and args.family not in families:
        raise ValueError(f"unknown family {args.family!r}; choose one of {', '.join(families)}")
    listed = rows(args.kind, args.family)
    if args.json:
        print(json.dumps(listed, indent=2))
        return 0
    from collections import Counter

    from rich.console import Console
    from rich.table import Table

    counts = Counter(r["kind"] for r in listed)
    reference = sum(counts[k] for k in REFERENCE_KINDS)
    title = (f"{len(listed)} policies ({reference} in the reference set): "
             + ", ".join(f"{v} {k}" for k, v in counts.items()))
    table = Table(title=title)
    for col in ("name", "kind", "family", "trains", "reference"):
        table.add_column(col)
    for r in listed:
        table.add_row(r["name"], r["kind"], r["family"], "yes" if r["trains"] else "", r["reference"])
    Console(width=180).print(table)
    return 0
