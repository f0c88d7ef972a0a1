"""`coopgym audit`: the static and temporal defection probes through the runner, and each env's class."""
from __future__ import annotations

import json
from pathlib import Path


def configure(parser):
    parser.add_argument("--envs", default="all", help="comma-separated environment ids or 'all'")
    parser.add_argument("--rewards", default="all", help="reward modes or m=<value>, comma-separated, or 'all'")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--episodes", type=int, default=4, help="evaluation episodes per run")
    parser.add_argument("--ledger", default=None, help="run ledger (SQLite); default: audit.db beside the standard ledger, so the probes' runs stay out of `coopgym leaderboard`")
    parser.add_argument("--backend", choices=("local", "ray"), default="local")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--address", default=None, help="Ray cluster address")
    parser.add_argument("--out", default=None, help="write the classes as JSON here (for `coopgym report --audit`)")
    parser.add_argument("--json", action="store_true")


def run(args) -> int:
    from coopgym.runner import plan
    from coopgym.runner.audit import audit_plan, classify
    from coopgym.runner.ledger import Ledger, default_ledger_path
    from coopgym.runner.sweep import run_sweep

    envs = plan.resolve_names(args.envs, plan.env_registry(), "environment")
    rewards = plan.resolve_rewards(args.rewards)
    seeds = plan.parse_ints(args.seeds, "seeds")
    from coopgym.commands import check_output

    configs = audit_plan(envs, rewards, seeds, args.episodes)
    ledger = args.ledger or default_ledger_path().with_name("audit.db")   # probes stay out of the leaderboard's
    check_output(ledger, "ledger")
    check_output(args.out, "audit --out")
    with Ledger(ledger) as book:
        summary = run_sweep(configs, book, backend=args.backend, workers=args.workers, address=args.address,
                            progress=not args.json)
        wanted = {c.config_hash for c in configs}
        rows = classify(r for r in book.records() if r.config_hash in wanted)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Behavioural audit ({summary.line()})")
    for col in ("environment", "class", "exploitative", "best uniform level"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["env"], r["class"], f"{r['exploitative_share']:.0%} of {r['cases']}",
                      str(r["best_uniform_level"]))
    Console(width=140).print(table)
    return 0
