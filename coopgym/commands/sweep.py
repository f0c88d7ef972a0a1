"""`coopgym sweep`: run a grid (from --plan FILE or from flags) into the run ledger.

Finished runs are skipped, so re-running the same command resumes a killed
sweep. Exit status: 0 when every run is ok, 1 when some failed (they are
recorded with their error), 2 on a bad plan or ledger (nothing is run).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


#: a plan above this many runs needs --yes (a typo such as --seeds 0-1000000 would start a million runs)
CONFIRM_ABOVE = 10_000


def configure(parser: argparse.ArgumentParser) -> None:
    grid = parser.add_argument_group("grid (comma-separated lists; 'all' expands via the registries)")
    grid.add_argument("--plan", metavar="FILE", help="TOML plan file (instead of the grid flags)")
    grid.add_argument("--policies", help="policy names, e.g. ippo,constant/50, all, or kind:learner / kind:oracle / kind:constant")
    grid.add_argument("--envs", help="environment ids, e.g. SLCD-v0 or all")
    grid.add_argument("--rewards", default=None,
                      help="private, integrated, cooperative or m=<mutuality in [0,2]> (default: all three modes)")
    grid.add_argument("--seeds", default=None, help="seeds, e.g. 0,1,2 or 0-6 (default: 0)")
    grid.add_argument("--steps", default=None, help="training budgets in env steps (default: 0)")
    grid.add_argument("--eval-at", default=None,
                      help="learning-curve points in env-steps for the learners, e.g. 0,5000,20000 (default: none)")
    grid.add_argument("--scenarios", default=None, metavar="all|ID[,ID]",
                      help="also score each run's final policy on these scenarios of its environment "
                           "(`coopgym scenarios`), stored in the run's record")
    grid.add_argument("--eval-episodes", type=int, default=None, help="evaluation episodes per run (default: 10)")
    grid.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                      help="extra environment option (repeatable), e.g. --option n_agents=3")
    run = parser.add_argument_group("execution")
    run.add_argument("--ledger", metavar="PATH", help="run ledger (default: $COOPGYM_LEDGER or coopgym-runs/ledger.db)")
    run.add_argument("--backend", choices=("local", "ray"), default="local", help="local process pool or Ray")
    run.add_argument("--workers", type=int, default=None,
                     help="parallel runs (default: CPU count; 1 runs in this process; with Ray: CPUs of a local Ray)")
    run.add_argument("--address", help="Ray cluster address (e.g. auto or ray://head:10001); local Ray when omitted")
    run.add_argument("--skip-failed", action="store_true", help="do not retry runs recorded as failed")
    run.add_argument("--time-limit", type=float, default=None, metavar="HOURS",
                     help="start no run after this many hours (runs in flight finish); run again to go on")
    run.add_argument("--dry-run", action="store_true", help="print the plan and what is left to run; run nothing")
    run.add_argument("--yes", action="store_true",
                     help=f"start the sweep even when it plans more than --max-runs runs")
    run.add_argument("--max-runs", type=int, default=CONFIRM_ABOVE, metavar="N",
                     help=f"plans of more runs than this need --yes (default {CONFIRM_ABOVE:,})")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--run-fn", default=None, help=argparse.SUPPRESS)  # "module:function", for tests and plugins


def build_plan(args: argparse.Namespace):
    """(configs, ledger path) from the parsed arguments; raises PlanError on a bad plan."""
    from coopgym.runner import plan
    from coopgym.runner.ledger import default_ledger_path

    flags = {k: getattr(args, k) for k in ("policies", "envs", "rewards", "seeds", "steps", "eval_at", "eval_episodes",
                                           "scenarios")}
    if args.plan:
        given = [f"--{k.replace('_', '-')}" for k, v in flags.items() if v is not None]
        given += ["--option"] if args.option else []
        if given:
            raise plan.PlanError(f"give the grid either in --plan or as flags, not both (also got {', '.join(given)})")
        configs, raw = plan.from_file(args.plan)
        ledger = args.ledger or (Path(args.plan).parent / raw["ledger"] if "ledger" in raw else None)
    else:
        missing = [f"--{k}" for k in ("policies", "envs") if not flags[k]]
        if missing:
            raise plan.PlanError(f"missing {' and '.join(missing)} (or give a --plan FILE)")
        defaults = {"rewards": "all", "seeds": "0", "steps": "0", "eval_at": (), "eval_episodes": 10, "scenarios": ()}
        grid = {k: (v if v is not None else defaults.get(k)) for k, v in flags.items()}
        configs = plan.expand(**grid, options=plan.parse_options(args.option))
        ledger = args.ledger
    return configs, Path(ledger) if ledger else default_ledger_path()


def run(args: argparse.Namespace) -> int:
    from coopgym.runner.sweep import plan_text, run_sweep

    from coopgym.commands import check_output

    configs, ledger = build_plan(args)
    check_output(ledger, "ledger")
    if args.time_limit is not None and args.time_limit <= 0:
        raise ValueError(f"--time-limit must be a positive number of hours, got {args.time_limit}")
    if args.dry_run:
        print(plan_text(configs, ledger, retry_failed=not args.skip_failed))
        return 0
    if len(configs) > args.max_runs and not args.yes:
        raise ValueError(f"the grid plans {len(configs):,} runs, more than --max-runs {args.max_runs:,}: check it "
                         f"with --dry-run, then add --yes to start them (or raise --max-runs)")
    try:
        summary = run_sweep(configs, ledger, backend=args.backend, workers=args.workers, address=args.address,
                            run_fn=args.run_fn, retry_failed=not args.skip_failed,
                            progress=not args.no_progress and sys.stderr.isatty(),
                            time_limit=None if args.time_limit is None else args.time_limit * 3600)
    except KeyboardInterrupt:
        print(f"interrupted: every finished run is in {ledger}; run the same command again to resume",
              file=sys.stderr)
        return 130
    print(summary.line())
    for label, error in summary.failures[:10]:
        print(f"  failed: {label}: {error}")
    if len(summary.failures) > 10:
        print(f"  ... and {len(summary.failures) - 10} more failures (see the ledger)")
    return 1 if summary.failed else 0
