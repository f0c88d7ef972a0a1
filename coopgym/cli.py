"""`coopgym ...`: the command line.

Each command lives in its own module, which exposes ``configure(parser)`` and
``run(args) -> int``; this file only wires them up, so ``coopgym --help``
stays fast (nothing heavy is imported until a command runs).
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "envs": ("coopgym.commands.envs", "list the environments"),
    "bench": ("coopgym.commands.bench", "measure steps/s beside a bare numpy kernel"),
    "validate": ("coopgym.commands.validate", "behavioural targets and case-study rubrics"),
    "policies": ("coopgym.commands.policies", "list the reference policies"),
    "run": ("coopgym.commands.run", "train and evaluate one policy on one environment"),
    "sweep": ("coopgym.commands.sweep", "run a grid of runs into the ledger"),
    "corpus": ("coopgym.commands.corpus", "export a ledger as a Croissant corpus"),
    "audit": ("coopgym.commands.audit", "behavioural defection audit"),
    "leaderboard": ("coopgym.commands.leaderboard", "leaderboard with bootstrap intervals"),
    "report": ("coopgym.commands.report", "self-contained HTML report"),
    "scenarios": ("coopgym.commands.scenarios", "the generalisation scenarios (focal seats, held-out background)"),
    "evaluate": ("coopgym.commands.evaluate", "score one policy or checkpoint on its environment's scenarios"),
    "crossplay": ("coopgym.commands.crossplay", "the N x N cross-play matrix of policies and checkpoints"),
    "main": ("coopgym.commands.main_job", "the default small sweep, its leaderboard and report"),
}


def build_parser(available: dict[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coopgym", description="Strategic-coopetition benchmark suite")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, helptext) in COMMANDS.items():
        if name in available:
            sub.add_parser(name, help=helptext, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    available = {}
    for name, (module, _) in COMMANDS.items():
        if importlib.util.find_spec(module) is not None:
            available[name] = module
    if not argv or argv[0] not in available:
        build_parser(available).print_help()
        if argv and argv[0] not in ("-h", "--help"):
            print(f"\ncoopgym: unknown command {argv[0]!r}; choose one of {', '.join(available)}", file=sys.stderr)
            return 2
        return 0
    module = importlib.import_module(available[argv[0]])
    parser = argparse.ArgumentParser(prog=f"coopgym {argv[0]}", description=COMMANDS[argv[0]][1])
    module.configure(parser)
    args = parser.parse_args(argv[1:])
    try:
        return int(module.run(args) or 0)
    except (ValueError, TypeError, KeyError, FileNotFoundError) as err:  # user errors: one clear line
        print(f"coopgym {argv[0]}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a path the checks before the work could not foresee (a full disk, say)
        where = f"{err.filename}: " if err.filename else ""
        print(f"coopgym {argv[0]}: error: {where}{err.strerror or err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
