"""`coopgym leaderboard [reproduce ROW]`: every run metric per environment and per mechanism class, raw and
normalised between the random policy (0) and the best reference policy (1), with bootstrap intervals
(per environment: the mean over seeds; per class: the IQM over runs x tasks of a common task set)."""
from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from coopgym.runner.metrics import METRICS


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="*", metavar="reproduce ROW",
                        help="re-run one row (its number or key env|reward|policy): determinism and agreement")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--ledger", metavar="PATH", help="run ledger (default: $COOPGYM_LEDGER or coopgym-runs/ledger.db)")
    src.add_argument("--corpus", metavar="DIR", help="an exported corpus instead of a ledger")
    parser.add_argument("--metric", choices=tuple(METRICS), default="return",
                        help="the ranking metric (default: return, the per-capita return of the reward in effect)")
    parser.add_argument("--format", choices=("table", "markdown", "csv"), default="table")
    parser.add_argument("--view", choices=("metrics", "generalisation"), default="metrics",
                        help="metrics: the runs' own metrics (default); generalisation: the final policies in "
                             "held-out scenarios, per scenario kind and layout (runs swept with --scenarios)")
    parser.add_argument("--level", choices=("all", "class", "env", "summary"), default=None,
                        help="which tables: per class, per environment (with the scales), all, or summary (the class "
                             "IQMs as one policy x (class, reward) table: the README's headline) (default: class, "
                             "or all when --env or --policy narrows the rows)")
    parser.add_argument("--env", default=None, metavar="ID[,ID]", help="only these environments")
    parser.add_argument("--reward", default=None, metavar="R[,R]", help="only these reward modes (private, ...)")
    parser.add_argument("--class", dest="mechanism", default=None, metavar="TR-k[,TR-k]",
                        help="only the environments of these mechanism classes (TR-1 .. TR-4)")
    parser.add_argument("--policy", default=None, metavar="NAME[,NAME]",
                        help="only these policies (names or patterns such as 'constant/*'); ranks stay global")
    parser.add_argument("--top", type=int, default=None, metavar="K", help="only ranks 1..K of each table group")
    parser.add_argument("--kinds", default=None, metavar="K[,K]",
                        help="show only these policy kinds (learner, oracle, heuristic, constant, probe); "
                             "ranks stay those among all policies")
    parser.add_argument("--out", metavar="FILE", help="write to FILE instead of the terminal")
    parser.add_argument("--reps", type=int, default=2000, help="bootstrap replicates (default 2000)")
    parser.add_argument("--new-seeds", action="store_true",
                        help="reproduce on fresh seeds (a replication: agreement only)")
    parser.add_argument("--workers", type=int, default=None, help="parallel re-runs for reproduce")
    parser.add_argument("--run-fn", default=None, help=argparse.SUPPRESS)


def _selection(args) -> tuple[list[str] | None, list[str] | None]:
    """The environments and reward modes of --env, --class and --reward (checked against the registries)."""
    from coopgym.runner import plan

    envs = plan.resolve_names(args.env, plan.env_registry(), "environment") if args.env else None
    if args.mechanism:
        from coopgym.envs import get_spec
        from coopgym.spec import MECHANISMS

        classes = [c.strip() for c in args.mechanism.split(",")]
        bad = [c for c in classes if c not in MECHANISMS]
        if bad:
            raise ValueError(f"unknown class(es) {', '.join(bad)}; choose from {', '.join(MECHANISMS)}")
        in_class = [e for e in plan.env_registry() if get_spec(e).mechanism in classes]
        envs = [e for e in (envs or in_class) if e in in_class]
    rewards = plan.resolve_rewards(args.reward) if args.reward else None
    return envs, rewards


def run(args: argparse.Namespace) -> int:
    from coopgym.runner import leaderboard as lbm

    if args.action and (args.action[0] != "reproduce" or len(args.action) != 2):
        raise ValueError(f"unexpected arguments {' '.join(args.action)}; usage: coopgym leaderboard reproduce ROW")
    if args.reps < 100:
        raise ValueError(f"--reps must be >= 100, got {args.reps}")
    kinds = [k.strip() for k in args.kinds.split(",")] if args.kinds else None
    envs, rewards = _selection(args)
    policies = [p.strip() for p in args.policy.split(",")] if args.policy else None
    level = args.level or ("all" if args.env or args.policy else "class")
    # a plain table streams the runs (memory flat in the corpus size); reproduce keeps its rows' records
    stream = not args.action and args.view == "metrics"
    records = lbm.records_from(args.ledger, args.corpus, envs=envs, rewards=rewards, stream=stream,
                               skip=() if args.action else ("trajectory", "learning_curve", "versions", "evaluations"))
    first = next(iter(records), None)
    if first is None:
        raise ValueError("no runs match the selection (--env, --reward, --class)")
    if stream:
        records = itertools.chain([first], records)
    if args.view == "generalisation":
        from coopgym.runner import generalisation

        table = generalisation.rows(records, reps=args.reps)
        if policies:
            table = [r for r in table if lbm.matches(r["policy"], policies)]
        return _emit(generalisation.render(table, args.format), args.out, f"{len(table)} generalisation rows")
    lb = lbm.build(records, metric=args.metric, reps=args.reps, keep_records=not stream)
    if args.action:
        from coopgym.runner.reproduce import reproduce

        verdict = reproduce(lb, args.action[1], run_fn=args.run_fn, workers=args.workers, new_seeds=args.new_seeds)
        print("\n".join(verdict.lines()))
        print("reproduced" if verdict.ok else "NOT reproduced")
        return 0 if verdict.ok else 1
    text = lbm.render(lb, args.format, kinds=kinds, level=level, policies=policies, top=args.top)
    return _emit(text, args.out, f"{len(lb.rows)} environment rows, {len(lb.classes)} class rows")


def _emit(text: str, out: str | None, what: str) -> int:
    if out:
        from coopgym.commands import check_output

        check_output(out, "leaderboard --out")
        Path(out).write_text(text, encoding="utf-8")
        print(f"wrote {out} ({what})")
    else:
        print(text, end="")
    return 0
