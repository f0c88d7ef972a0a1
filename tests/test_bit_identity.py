"""Every environment's trajectories, through every interface, are bit-identical to the recorded ones.

The digests in ``tests/data/trajectories.json`` were recorded by
``tests/trajectory_digests.py`` on the code before the core became params and
stages (issue #13); a refactor of the core must not change one bit of what any
interface returns. A change that is meant to alter an environment re-records
them (``python tests/trajectory_digests.py record``) and says so in its commit.
"""
import json

import pytest

from trajectory_digests import DATA, play

CASES = json.loads(DATA.read_text())["cases"]
ENVS = sorted({row["env"] for row in CASES})


def test_every_environment_and_interface_is_recorded():
    import coopgym
    from trajectory_digests import INTERFACES

    assert ENVS == sorted(coopgym.env_ids())
    for env_id in ENVS:
        assert {row["interface"] for row in CASES if row["env"] == env_id} == set(INTERFACES)


@pytest.mark.parametrize("env_id", ENVS)
def test_trajectories_are_bit_identical(env_id):
    differ = []
    for row in (r for r in CASES if r["env"] == env_id):
        case = {k: v for k, v in row.items() if k != "digest"}
        if play(case) != row["digest"]:
            differ.append(f"{row['interface']} {row['options']}")
    assert not differ, f"{env_id}: {len(differ)} trajectories differ from the recorded ones: {differ[:10]}"
