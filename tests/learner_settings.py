"""Quick-run settings of the 16 learners, shared by the learner test modules."""
from coopgym.baselines import REGISTRY

INDEPENDENT = ["ippo", "ia2c", "isac", "ireinforce", "lola", "selfplay_ppo", "fcp"]
CENTRALISED = ["mappo", "maddpg", "matd3", "masac", "m3ddpg", "qmix", "vdn", "coma", "meanfield_ac"]
ON_POLICY = {"mappo", "coma", "meanfield_ac"}   # centralised learners without a replay buffer


def tiny(name, **extra):
    """Hyperparameters for a quick run: few games, small networks, updates from the first steps."""
    if name in CENTRALISED:
        hp = dict(num_envs=8, hidden=16)
        hp.update(dict(rollout=8) if name in ON_POLICY else dict(learning_starts=64, batch_size=32))
    else:
        hp = {
            "ippo": dict(num_envs=8, n_steps=8, batch_size=32, n_epochs=2, net_arch=[16, 16]),
            "ia2c": dict(num_envs=8, n_steps=8, net_arch=[16, 16]),
            "ireinforce": dict(num_envs=8, net_arch=[16, 16]),
            "isac": dict(num_envs=8, learning_starts=64, batch_size=32, buffer_size=4_000, net_arch=[16, 16]),
            "lola": dict(num_envs=8, hidden=8),
            "selfplay_ppo": dict(num_envs=4, n_steps=8, batch_size=32, n_epochs=2, net_arch=[16, 16]),
            "fcp": dict(num_envs=8, n_steps=8, batch_size=32, n_epochs=2, net_arch=[16, 16], population=2),
        }[name]
    return {**hp, **extra}


def tiny_for_many_agents(name):
    """``tiny`` for a 40-agent game (ApacheProject): two games, smaller batches and networks."""
    if name in CENTRALISED:
        small = {} if name in ON_POLICY else {"batch_size": 16}
        if name == "qmix":   # 40 mixers, one per agent, each with hypernetworks on a 3,321-dim state
            small.update(mixer_embed=4, hyper_hidden=8)
        return tiny(name, num_envs=2, hidden=8, **small)
    extra = dict(num_envs=2, batch_size=16) if name in ("isac", "ippo", "fcp") else dict(num_envs=2)
    if name == "isac":
        extra.update(learning_starts=32)
    return tiny(name, **extra)


def make(name, seed=0, **hp):
    return REGISTRY[name].factory(seed=seed, **hp)
