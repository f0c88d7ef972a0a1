"""Making an environment costs about what importing gymnasium and numpy costs (issue #13).

``import gymnasium, coopgym; gymnasium.make("coopgym/SLCD-v0")`` in a new interpreter
must import no learner library (torch, stable-baselines3) and no oracle, and take at
most 3x the time of ``import gymnasium, numpy`` alone. Each is timed inside its own
fresh interpreter, in turns, and the best of several runs counts (the other runs
measure the machine's load, not the code).
"""
import json
import subprocess
import sys

MAKE = "import gymnasium, coopgym; gymnasium.make('coopgym/SLCD-v0')"
BASE = "import gymnasium, numpy"
HEAVY = ("torch", "stable_baselines3", "coopgym.oracles")
RUNS = 5


def _run(statement: str) -> dict:
    code = ("import time, sys, json\nstart = time.perf_counter()\n" + statement +
            "\nprint(json.dumps({'seconds': time.perf_counter() - start, 'modules': sorted(sys.modules)}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_making_an_env_imports_no_learner_and_no_oracle():
    modules = _run(MAKE)["modules"]
    loaded = [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert not loaded, f"gymnasium.make imported {loaded[:10]}"


def test_making_an_env_takes_at_most_three_times_importing_gymnasium_and_numpy():
    base, make = [], []
    for _ in range(RUNS):
        base.append(_run(BASE)["seconds"])
        make.append(_run(MAKE)["seconds"])
    assert min(make) <= 3.0 * min(base), f"make {min(make):.3f} s vs import gymnasium, numpy {min(base):.3f} s"
