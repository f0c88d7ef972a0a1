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
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="extra environment option")
    parser.add_argument("--save", default=None, metavar="PATH", help="save the trained learner's checkpoint here")
    parser.add_argument("--json", action="store_true", help="print the run record as one JSON line")


def run(args) -> int:
    from coopgym.runner.execute import execute
    from coopgym.runner.plan import parse_options
    from coopgym.runner.records import RunConfig

    config = RunConfig(policy=args.policy, env=args.env, reward=args.reward, seed=args.seed, steps=args.steps,
                       eval_episodes=args.episodes, options=parse_options(args.option))
    record = execute(config, checkpoint=args.save)
    if args.json:
        print(record.to_json())
        return 0
    print(config.label())
    for i, (m, s) in enumerate(zip(record.mean_return, record.std_return)):
        print(f"  agent {i}: mean return {m:12.3f}  (std {s:.3f})")
    print(f"  cooperation rate (a / e):  {record.cooperation_rate:.3f}")
    if record.final_trust is not None:
        print(f"  final mean trust:          {record.final_trust:.3f}")
    if record.gap_to_oracle is not None:
        print(f"  gap to oracle/equilibrium: {record.gap_to_oracle:+.2f} %  (oracle return {record.oracle_return:.3f})")
    else:
        print("  gap to oracle/equilibrium: n/a (no oracle installed, or its return is 0)")
    if record.learning_curve:
        (s0, r0), (s1, r1) = record.learning_curve[0], record.learning_curve[-1]
        print(f"  learning curve: {len(record.learning_curve)} points, mean episode return "
              f"{r0:.3f} at {s0} env-steps -> {r1:.3f} at {s1}")
    print(f"  train {record.train_seconds:.1f} s, evaluate {record.eval_seconds:.2f} s over {args.episodes} episodes")
    if args.save:
        print(f"  checkpoint: {args.save}")
    return 0
