"""Re-run stored corpus rows and compare every field of the new record but timings and timestamps.

    python tests/corpus_rerun.py run OUT.json [--learners] [--only NAME,...]   # re-run the chosen rows
                                                      # (--only: rows whose env or policy is listed)
    python tests/corpus_rerun.py compare A.json B.json        # field-by-field differences of two re-runs

``choose`` takes, for every environment, rows of two constant levels, both
heuristics and every oracle (two reward modes each), and with ``--learners``
one row of each learner (on SLCD-v0, the cheapest). Each re-run goes through
``coopgym.runner.execute.execute(record.config)``, the path the corpus was
made by, and is also compared with the stored row.
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNTIMED = ("train_seconds", "eval_seconds", "started_at", "finished_at")


def fields(record) -> dict:
    """Every field of a run record but timings and timestamps, as JSON values."""
    from dataclasses import asdict

    out = asdict(record)
    return {k: v for k, v in out.items() if k not in UNTIMED}


def choose(records, learners: bool = False, seed: int = 0) -> list:
    gen = random.Random(seed)
    by: dict[tuple[str, str], list] = {}
    for r in records:
        by.setdefault((r.config.policy, r.config.env), []).append(r)
    envs = sorted({r.config.env for r in records})
    picked = []
    for env in envs:
        levels = sorted({p for p, e in by if e == env and p.startswith("constant/")})
        for policy in gen.sample(levels, 2) + ["heuristic/random", "heuristic/tit_for_tat"]:
            picked.append(gen.choice(by[policy, env]))
        for policy in sorted(p for p, e in by if e == env and p.startswith("oracle/")):
            rows = by[policy, env]
            first = gen.choice(rows)
            other = [r for r in rows if r.config.reward != first.config.reward]
            picked += [first] + ([gen.choice(other)] if other else [])
    if learners:
        names = sorted({p for p, _ in by if not p.split("/")[0] in ("constant", "heuristic", "oracle", "probe")})
        picked += [gen.choice(by[name, "SLCD-v0"]) for name in names]
    return picked


def run(out: Path, learners: bool, only: set[str] | None = None) -> None:
    from coopgym.runner.corpus import load_corpus
    from coopgym.runner.execute import execute

    records = load_corpus(ROOT / "corpus")
    rows = []
    chosen = [r for r in choose(records, learners) if only is None or {r.config.env, r.config.policy} & only]
    for i, stored in enumerate(chosen):
        new = execute(stored.config)
        a, b = fields(new), fields(stored)
        rows.append({"config_hash": stored.config_hash, "policy": stored.config.policy, "env": stored.config.env,
                     "fields": a, "as_stored": [k for k in a if k != "versions" and a[k] == b[k]] == [
                         k for k in a if k != "versions"]})
        print(i, stored.config.policy, stored.config.env, stored.config.reward, rows[-1]["as_stored"], flush=True)
    out.write_text(json.dumps(rows, indent=0, default=float))


def compare(a: Path, b: Path) -> int:
    A, B = (json.loads(p.read_text()) for p in (a, b))
    B = {r["config_hash"]: r for r in B}
    same = differ = 0
    for r in A:
        other = B.get(r["config_hash"])
        if other is None:
            continue
        bad = [k for k in r["fields"] if r["fields"][k] != other["fields"].get(k)]
        if bad:
            differ += 1
            print("DIFFERS", r["policy"], r["env"], bad)
        else:
            same += 1
    print(f"{same} identical, {differ} differ; stored-row matches: {sum(r['as_stored'] for r in A)} of {len(A)}")
    return 1 if differ else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["run"]:
        only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else None
        run(Path(sys.argv[2]), "--learners" in sys.argv, None if only is None else set(only))
    elif sys.argv[1:2] == ["compare"]:
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        sys.exit(__doc__)
