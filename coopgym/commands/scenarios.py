"""`coopgym scenarios`: the generalisation scenarios (focal seats, held-out background, reward, episodes).

``--references`` also computes (or reads from the cache) each scenario's scale: the focal
per-capita return of random focal (0) and of the best focal response (1), with the time it took.
"""
from __future__ import annotations

import json


def configure(parser):
    parser.add_argument("--env", default=None, help="only this environment's scenarios, e.g. SLCD-v0")
    parser.add_argument("--kind", default=None, help="only this kind: cooperators, defectors, reciprocators, mixed")
    parser.add_argument("--layout", default=None, help="only this layout: visitor, resident")
    parser.add_argument("--references", action="store_true",
                        help="compute (or read from the cache) the random and best-response references")
    parser.add_argument("--recompute", action="store_true", help="with --references: ignore the cache")
    parser.add_argument("--json", action="store_true", help="print a JSON list")


def _filtered(args):
    from coopgym.scenarios.catalogue import KINDS, LAYOUTS, catalogue, scenarios_for

    for name, value, allowed in (("kind", args.kind, KINDS), ("layout", args.layout, LAYOUTS)):
        if value is not None and value not in allowed:
            raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(allowed)}")
    chosen = scenarios_for(args.env) if args.env else list(catalogue().values())
    return [s for s in chosen if (args.kind in (None, s.kind)) and (args.layout in (None, s.layout))]


def run(args) -> int:
    chosen = _filtered(args)
    rows = [s.as_dict() for s in chosen]
    if args.references:
        import time

        from coopgym.scenarios.references import references

        t0 = time.perf_counter()
        for row, s in zip(rows, chosen):
            refs = references(s, recompute=args.recompute)
            row.update(random_return=refs.random, best_return=refs.best, best_policy=refs.best_policy,
                       reference_seconds=refs.seconds, degenerate=refs.normalise(refs.best)[0] is None)
            if not args.json:
                print(f"{s.id:58s} random {refs.random:11.2f}  best {refs.best:11.2f} {refs.best_policy:28s} "
                      f"{refs.seconds:7.1f} s", flush=True)
        if not args.json:
            print(f"{len(rows)} scenarios, {time.perf_counter() - t0:.1f} s "
                  f"(computing them took {sum(r['reference_seconds'] for r in rows):.1f} s in all)")
            return 0
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    from collections import Counter

    from rich.console import Console
    from rich.table import Table

    kinds, layouts = Counter(r["kind"] for r in rows), Counter(r["layout"] for r in rows)
    title = (f"{len(rows)} scenarios over {len({r['env'] for r in rows})} environments: "
             + ", ".join(f"{v} {k}" for k, v in layouts.items()) + "; " + ", ".join(f"{v} {k}" for k, v in kinds.items()))
    table = Table(title=title)
    for col in ("id", "focal seats", "background", "draw", "reward", "episodes"):
        table.add_column(col)
    for r in rows:
        focal = r["focal"]
        seats = str(focal[0]) if len(focal) == 1 else f"{focal[0]}..{focal[-1]}"
        table.add_row(r["id"], seats, ", ".join(r["members"]), r["draw"], r["reward"], str(r["episodes"]))
    Console(width=180).print(table)
    return 0
