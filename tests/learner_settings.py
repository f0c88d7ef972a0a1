"""Quick-run settings of the 16 learners, shared by the learner test modules."""
from coopgym.registry import REGISTRY

INDEPENDENT = ["ippo", "ia2c", "isac", "ireinforce", "lola", "selfplay_ppo", "fcp"]
CENTRALISED = ["mappo", "maddpg", "matd3", "masac", "m3ddpg", "qmix", "vdn", "coma", "meanfield_ac"]
NAMES = INDEPENDENT + CENTRALISED
OFF_POLICY = ["isac", "maddpg", "matd3", "masac", "m3ddpg", "qmix", "vdn"]
ON_POLICY = [name for name in NAMES if name not in OFF_POLICY]
SHARED = ["selfplay_ppo", "fcp"]   # one policy for every seat by design
EPISODIC = ["ireinforce", "lola"]  # a batch is one episode of every game


def tiny(name, **extra):
    """Hyperparameters for a quick run: few games, small networks, updates from the first steps."""
    hp = dict(num_envs=8, hidden=16)
    if name in OFF_POLICY:
        hp.update(learning_starts=64, batch_size=64, utd=0.25)
    elif name not in EPISODIC:
        hp.update(rollout=8)
    if name == "fcp":
        hp.update(population=2)
    return {**hp, **extra}


def tiny_for_many_agents(name):
    """``tiny`` for a 40-agent game (ApacheProject): two games, smaller networks."""
    small = dict(num_envs=2, hidden=8)
    if name in ("qmix",):
        small.update(mixer_embed=4, hyper_hidden=8)
    return tiny(name, **small)


def make(name, seed=0, **hp):
    return REGISTRY[name].factory(seed=seed, **hp)
