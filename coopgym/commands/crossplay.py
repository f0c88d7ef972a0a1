"""`coopgym crossplay`: the N x N matrix of focal returns (row policy in the focal seats, column policy in
every other seat) of reference policies and trained checkpoints, written for `coopgym report`."""
from __future__ import annotations


def configure(parser):
    parser.add_argument("--env", required=True, help="an environment id, e.g. SLCD-v0")
    parser.add_argument("--policies", required=True,
                        help="comma-separated registered policies and/or checkpoint paths (at least two)")
    parser.add_argument("--focal", default="0", help="the focal seats, e.g. 0 or 0,1 (default 0)")
    parser.add_argument("--reward", default="private", help="reward mode of the returns (default private)")
    parser.add_argument("--episodes", type=int, default=8, help="episodes per pair (default 8)")
    parser.add_argument("--seed", type=int, default=0, help="evaluation seed (the scenarios' seed rule)")
    parser.add_argument("--out", default=None, metavar="FILE.json|FILE.csv", help="write the matrix here")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args) -> int:
    import json

    from coopgym.runner.execute import one_torch_thread
    from coopgym.runner.plan import parse_ints
    from coopgym.scenarios.crossplay import crossplay, write

    names = [p.strip() for p in args.policies.split(",") if p.strip()]
    with one_torch_thread():   # tiny networks: threads only wait for each other on a busy machine
        result = crossplay(args.env, names, focal=parse_ints(args.focal, "focal seats"), reward=args.reward,
                           episodes=args.episodes, seed=args.seed)
    if args.out:
        write(result, args.out)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"cross-play on {result['env']} ({args.reward} reward, {args.episodes} episodes): "
                        f"{result['meaning']}")
    table.add_column("focal \\ others")
    for name in names:
        table.add_column(name, justify="right")
    for name, row in zip(names, result["matrix"]):
        table.add_row(name, *(f"{v:.2f}" for v in row))
    Console(width=200).print(table)
    if args.out:
        print(f"written to {args.out}")
    return 0
