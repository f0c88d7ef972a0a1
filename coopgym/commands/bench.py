"""`coopgym bench`: steps/s of every interface beside a bare numpy kernel, measured in one run."""
from __future__ import annotations

import json
import os


def configure(parser):
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--quick", action="store_true", help="fewer sizes, shorter timings")
    parser.add_argument("--policies", nargs="?", const="all", default=None,
                        help="also measure training throughput of learners (comma-separated names or 'all'), "
                             "one torch thread, beside the bare environment in the same run")
    parser.add_argument("--policy-env", default="SLCD-v0", help="environment of the --policies runs")
    parser.add_argument("--policy-steps", type=int, default=100_000, help="env-steps of each --policies run")
    parser.add_argument("--policy-repeats", type=int, default=3,
                        help="training runs per learner; the fastest is reported, the median beside it")
    parser.add_argument("--runner", action="store_true", help="also measure the runner's overhead")
    parser.add_argument("--oracles", action="store_true", help="also time the batched equilibrium solver")


def _table(title, rows, columns):
    """columns: (key, heading) pairs."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for _, heading in columns:
        table.add_column(heading, justify="right")
    for r in rows:
        table.add_row(*[_fmt(r.get(key)) for key, _ in columns])
    Console(width=160).print(table)


def _fmt(v):
    if isinstance(v, float):
        return f"{v:,.2f}" if v < 100 else f"{v:,.0f}"
    return "" if v is None else str(v)


def run(args) -> int:
    from coopgym import bench

    sizes = (1, 256, 4096) if args.quick else (1, 16, 256, 4096, 65536)
    report = {"cpu_count": os.cpu_count()}
    report["single"] = bench.single_env_rates("SLCD-v0")
    report["vector"] = bench.vector_rates("TrustDilemma-v0", sizes)
    report["scaling"] = bench.agent_scaling("TrustDilemma-v0", (2, 10, 40) if args.quick else (2, 5, 10, 20, 40))
    mechanism_envs = [e for e in ("SLCD-v0", "TeamProduction-v0", "ReciprocalDilemma-v0", "ApacheProject-v0")
                      if e in bench.coopgym.REGISTRY]
    report["mechanisms"] = bench.env_rates(mechanism_envs, N=1024 if args.quick else 4096)
    if args.oracles or not args.quick:
        report["oracles"] = _optional("coopgym.oracles.tr1", "bench_equilibrium")
    if args.policies:
        names = None if args.policies == "all" else args.policies.split(",")
        report["policies"] = bench.policy_rates(names, args.policy_steps, args.policy_env, repeats=args.policy_repeats)
    if args.runner:
        report["runner"] = _optional("coopgym.runner.sweep", "bench_runner")
    if args.json:
        print(json.dumps(report, indent=2, default=float))
        return 0
    _table("Single environments, steps/s, beside the bare numpy kernel at N = 1 (ratio = kernel / env)",
           [report["single"]],
           [("env", "env"), ("kernel_steps_per_s", "kernel"), ("gymnasium_steps_per_s", "gymnasium"),
            ("gymnasium_ratio", "ratio"), ("pettingzoo_parallel_steps_per_s", "pettingzoo parallel"),
            ("pettingzoo_ratio", "ratio")])
    _table("Batched envs, env-steps/s, beside the bare kernel at the same N (ratio = kernel / env)",
           report["vector"],
           [("env", "env"), ("N", "N"), ("kernel_env_steps_per_s", "kernel"),
            ("multi_agent_vector_env_steps_per_s", "multi-agent vector"), ("multi_agent_ratio", "ratio"),
            ("gymnasium_vector_env_steps_per_s", "gymnasium make_vec"), ("gymnasium_vector_ratio", "ratio")])
    _table("Cost as agents grow (N = 256): ns per trust pair n(n-1) should not grow", report["scaling"],
           [("env", "env"), ("n", "n"), ("env_steps_per_s", "env-steps/s"), ("us_per_env_step", "us / env-step"),
            ("ns_per_trust_pair", "ns / trust pair")])
    _table("One environment per mechanism class (multi-agent vector env)", report["mechanisms"],
           [("env", "env"), ("n", "n"), ("N", "N"), ("env_steps_per_s", "env-steps/s")])
    if "policies" in report:
        _table("Learners: training env-steps/s (one torch thread; the fastest of the repeats, the median beside "
               "it) beside the bare env stepping the same number of games, timed just before and after "
               "(ratio = bare / learner)", report["policies"],
               [("policy", "learner"), ("env", "env"), ("num_envs", "games"), ("steps", "env-steps"),
                ("seconds", "seconds"), ("env_steps_per_s", "env-steps/s"), ("median_env_steps_per_s", "median"),
                ("bare_env_steps_per_s", "bare env"), ("ratio", "ratio")])
    for key in ("oracles", "runner"):
        if key in report:
            rows = report[key] if isinstance(report[key], list) else [report[key]]
            _table(key, rows, [(c, c) for c in rows[0]] if rows else [])
    return 0


def _optional(module: str, function: str, *args):
    import importlib

    try:
        fn = getattr(importlib.import_module(module), function)
    except (ModuleNotFoundError, AttributeError) as err:
        return {"unavailable": str(err)}
    return fn(*args)
