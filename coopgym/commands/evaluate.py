"""`coopgym evaluate`: one focal policy (a registered name or a trained checkpoint) on the scenarios of its
environment: a row per scenario, focal return raw and normalised, welfare, equality, cooperation."""
from __future__ import annotations

import json


def configure(parser):
    parser.add_argument("--policy", required=True,
                        help="a registered reference policy (e.g. oracle/equilibrium) or a checkpoint saved by "
                             "`coopgym run --save PATH`")
    parser.add_argument("--env", required=True, help="an environment id, e.g. SLCD-v0")
    parser.add_argument("--scenarios", default="all", help="'all' or a comma-separated list of scenario ids "
                                                           "(full, or without the environment: visitor/mixed)")
    parser.add_argument("--seeds", default="0", help="evaluation seeds, e.g. 0 or 0-4 (intervals need >= 2)")
    parser.add_argument("--episodes", type=int, default=None,
                        help="episodes per seed (default: each scenario's own, the reference games at seed 0)")
    parser.add_argument("--json", action="store_true", help="print {rows, by_kind, by_layout} as JSON")


def _num(x, digits=3):
    return "n/a" if x is None else f"{x:.{digits}f}"


def _prepare_references(chosen) -> None:
    """Compute the references not cached yet, saying so (an expensive background takes minutes, once)."""
    import sys

    from coopgym.scenarios.references import is_cached, references

    for s in chosen:
        if not is_cached(s):
            print(f"computing the references of {s.id} (cached afterwards) ...", end=" ", file=sys.stderr, flush=True)
            print(f"{references(s).seconds:.1f} s", file=sys.stderr)


def run(args) -> int:
    from coopgym.envs import get_spec
    from coopgym.runner.plan import parse_ints
    from coopgym.scenarios.catalogue import select
    from coopgym.runner.execute import one_torch_thread
    from coopgym.scenarios.evaluate import evaluate, load_policy, summarise

    env = get_spec(args.env).id
    chosen = select(env, args.scenarios)
    seeds = parse_ints(args.seeds, "seeds")
    policy = load_policy(args.policy)
    _prepare_references(chosen)
    with one_torch_thread():   # tiny networks: threads only wait for each other on a busy machine
        rows = evaluate(policy, chosen, seeds, args.episodes, label=args.policy)
    by_kind, by_layout = summarise(rows, "kind"), summarise(rows, "layout")
    if args.json:
        print(json.dumps({"rows": rows, "by_kind": by_kind, "by_layout": by_layout}, indent=1))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{args.policy} in the focal seats of {len(chosen)} {env} scenarios, seeds {seeds} "
                        f"({chosen[0].reward} reward)")
    for col in ("scenario", "seed", "focal return", "random", "best (policy)", "normalised", "welfare",
                "equality", "coop.", "bg coop."):
        table.add_column(col, justify="left" if col in ("scenario", "best (policy)") else "right")
    for r in rows:
        table.add_row(r["scenario"].split("/", 1)[1], str(r["seed"]), _num(r["focal_return"], 1),
                      _num(r["random_return"], 1), f"{r['best_return']:.1f} ({r['best_policy']})",
                      _num(r["normalised"]), _num(r["welfare"], 1), _num(r["equality"]), _num(r["cooperation"]),
                      _num(r["background_cooperation"]))
    console = Console(width=200)
    console.print(table)
    for group in by_kind + by_layout:
        name = group.get("kind") or group.get("layout")
        ci = "" if group["lower"] is None else f"  95 % CI [{group['lower']:.3f}, {group['upper']:.3f}]"
        console.print(f"  {name:14s} IQM normalised {_num(group['iqm'])} over {group['scored']} of "
                      f"{group['scenarios']} scenarios{ci}")
    for r in rows:
        if r["note"] or not r["held_out"]:
            console.print(f"  note: {r['scenario']}: {r['note'] or ''}"
                          f"{'' if r['held_out'] else ' (trained against this background: not held out)'}")
    if len(seeds) == 1:
        console.print("  (one seed per scenario: no bootstrap interval; pass --seeds 0-4)")
    return 0
