"""`coopgym leaderboard [reproduce ROW]`: mean and IQM with stratified bootstrap 95 % intervals,
scores normalised between the random policy (0) and the equilibrium oracle (1), gap % and ranks."""
from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="*", metavar="reproduce ROW",
                        help="re-run one row (its number or key env|reward|policy) and check its interval")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--ledger", metavar="PATH", help="run ledger (default: $COOPGYM_LEDGER or coopgym-runs/ledger.db)")
    src.add_argument("--corpus", metavar="DIR", help="an exported corpus instead of a ledger")
    parser.add_argument("--format", choices=("table", "markdown", "csv"), default="table")
    parser.add_argument("--out", metavar="FILE", help="write to FILE instead of the terminal")
    parser.add_argument("--reps", type=int, default=2000, help="bootstrap replicates (default 2000)")
    parser.add_argument("--new-seeds", action="store_true", help="reproduce with fresh seeds (a replication)")
    parser.add_argument("--workers", type=int, default=None, help="parallel re-runs for reproduce")
    parser.add_argument("--run-fn", default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from coopgym.runner import leaderboard as lbm

    if args.action and (args.action[0] != "reproduce" or len(args.action) != 2):
        raise ValueError(f"unexpected arguments {' '.join(args.action)}; usage: coopgym leaderboard reproduce ROW")
    if args.reps < 100:
        raise ValueError(f"--reps must be >= 100, got {args.reps}")
    lb = lbm.build(lbm.records_from(args.ledger, args.corpus), reps=args.reps)
    if args.action:
        res = lbm.reproduce(lb, args.action[1], run_fn=args.run_fn, workers=args.workers, new_seeds=args.new_seeds)
        iqm, lo, hi = res["published_iqm"]
        how = "fresh seeds" if res["new_seeds"] else "the same seeds"
        print(f"row {res['row']} {res['key']}: re-ran {res['runs']} runs with {how}")
        print(f"  published IQM {iqm:.4f} [95% CI {lo:.4f}, {hi:.4f}]; new IQM {res['new_iqm']:.4f}: "
              + ("inside the interval" if res["inside"] else "OUTSIDE the interval"))
        if res["identical"] is not None:
            print("  returns identical to the recorded ones" if res["identical"]
                  else "  returns differ from the recorded ones (the run is not deterministic)")
        return 0 if res["inside"] and res["identical"] is not False else 1
    text = lbm.render(lb, args.format)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out} ({len(lb.rows)} rows)")
    else:
        print(text, end="")
    return 0
