"""`coopgym main`: the README's first command — a small default sweep, its leaderboard and its report."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def configure(parser):
    parser.add_argument("--out", default="runs", help="folder for the ledger and the report (default: ./runs)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--plan", default=None, help="a TOML plan instead of the embedded defaults")


def run(args) -> int:
    from coopgym.runner import leaderboard, plan
    from coopgym.runner.ledger import Ledger
    from coopgym.runner.report import write_report
    from coopgym.runner.sweep import run_sweep

    from coopgym.commands import check_output

    check_output(args.out, "output folder")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plan_path = Path(args.plan) if args.plan else resources.files("coopgym") / "data" / "main_plan.toml"
    configs, _ = plan.from_file(plan_path)
    ledger_path = out / "main.sqlite"
    print(f"coopgym main: {len(configs)} runs from {plan_path.name}, ledger {ledger_path}")
    with Ledger(ledger_path) as book:
        summary = run_sweep(configs, book, workers=args.workers)
        wanted = {c.config_hash for c in configs}
        records = [r for r in book.records() if r.config_hash in wanted]
    print(summary.line())
    board = leaderboard.build(records)
    print(leaderboard.render(board, "table", level="class"))
    report = write_report(records, out / "report.html", title="coopgym main job", source=str(ledger_path))
    print(f"report: {report.resolve()}")
    return 0 if summary.failed == 0 else 1
