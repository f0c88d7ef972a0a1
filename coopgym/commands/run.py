"""`coopgym run`: train (where the policy trains) and evaluate one policy on one environment."""
from __future__ import annotations


def configure(parser):
    parser.add_argument("--policy", required=True,
                        help="a registered policy, e.g. ippo, oracle/equilibrium, constant/50")
    parser.add_argument("--env", required=True, help="an environment id, e.g. SLCD-v0")
    parser.add_argument("--reward", default="integrated", help="private, integrated, cooperative or m=<0..2>")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=0, help="training budget in env-steps (learners only)")
    parser.add_argument("--episodes", type=int, default=10, help="evaluation episodes (played as one batch)")
    parser.add_argument("--eval-at", default="", metavar="K[,K]",
                        help="learners: also evaluate at these env-step counts during training, e.g. 0,5000,20000")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="extra environment option")
    parser.add_argument("--save", default=None, metavar="PATH", help="save the trained learner's checkpoint here")
    parser.add_argument("--json", action="store_true", help="print the run record as one JSON line")


def run(args) -> int:
    from coopgym.runner.execute import execute
    from coopgym.runner.metrics import METRICS
    from coopgym.runner.plan import parse_ints, parse_options
    from coopgym.runner.records import RunConfig

    from coopgym.commands import check_output

    check_output(args.save, "checkpoint --save")   # before training, not after
    eval_at = parse_ints(args.eval_at, "--eval-at", ranges=False) if args.eval_at else []
    config = RunConfig(policy=args.policy, env=args.env, reward=args.reward, seed=args.seed, steps=args.steps,
                       eval_episodes=args.episodes, options=parse_options(args.option), eval_at=eval_at)
    record = execute(config, checkpoint=args.save)
    if args.json:
        print(record.to_json())
        return 0
    print(config.label())
    for i, (m, s) in enumerate(zip(record.mean_return, record.std_return)):
        print(f"  agent {i}: mean return {m:12.3f}  (std {s:.3f})")
    for name in METRICS:
        value = record.metrics.get(name)
        print(f"  {name:<12} {'n/a (no trust state)' if value is None else f'{value:.6g}'}")
    if record.evaluations:
        print("  learning curve (evaluations during training):")
        for point in record.evaluations:
            print(f"    {point['steps']:>9} env-steps: return {point['return']:.6g}, "
                  f"welfare {point['welfare']:.6g}, cooperation {point['cooperation']:.3f}")
    print(f"  train {record.train_seconds:.1f} s, evaluate {record.eval_seconds:.2f} s over {args.episodes} episodes")
    if args.save:
        print(f"  checkpoint: {args.save}")
    return 0
