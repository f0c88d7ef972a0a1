"""`coopgym report`: a self-contained HTML page with the leaderboard and plots (learning curves from the
evaluation points, performance profiles, probability of improvement, the reward-mode ablation on material
welfare, trust trajectories, audit classes)."""
from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--ledger", metavar="PATH", help="run ledger (default: $COOPGYM_LEDGER or coopgym-runs/ledger.db)")
    src.add_argument("--corpus", metavar="DIR", help="an exported corpus instead of a ledger")
    parser.add_argument("--out", metavar="FILE", default="coopgym-report.html", help="output HTML file")
    parser.add_argument("--audit", metavar="FILE", help="audit results JSON ({env: class} or [{env, class}])")
    parser.add_argument("--title", default="coopgym report")
    parser.add_argument("--crossplay", action="append", default=[], metavar="FILE",
                        help="a cross-play matrix written by `coopgym crossplay --out FILE` to draw (repeatable)")
    parser.add_argument("--metric", default="return",
                        choices=("return", "welfare", "equality", "cooperation", "trust"),
                        help="the ranking metric of the tables, profiles and curves (default: return)")


def _crossplay(path: str) -> dict:
    """A cross-play file, or a one-line error naming it."""
    import json

    from coopgym.scenarios.crossplay import read

    try:
        result = read(path)
    except FileNotFoundError:
        raise ValueError(f"cross-play file {path} does not exist") from None
    except (json.JSONDecodeError, KeyError, ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"cross-play file {path} cannot be read: {err}") from None
    if not isinstance(result, dict) or "policies" not in result or "matrix" not in result:
        raise ValueError(f"cross-play file {path}: expected the output of `coopgym crossplay --out FILE`")
    return result


def run(args: argparse.Namespace) -> int:
    from coopgym.runner import leaderboard as lbm
    from coopgym.runner import report

    from coopgym.commands import check_output

    check_output(args.out, "report --out")
    records = lbm.records_from(args.ledger, args.corpus)
    audit = report.load_audit(args.audit) if args.audit else None
    crossplay = [_crossplay(path) for path in args.crossplay]
    path = report.write_report(records, args.out, title=args.title, audit=audit, metric=args.metric, crossplay=crossplay,
                               source=args.corpus or args.ledger or "the default ledger")
    print(f"wrote {path} ({len(records)} runs)")
    return 0
