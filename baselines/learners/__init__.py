"""The learning algorithms; importing this package registers every one of them.

Independent learners (one set of parameters per agent by default): ippo, ia2c,
isac, ireinforce, lola, selfplay_ppo, fcp. Centralised training (critics on the
global state, each agent still learning from its own reward): mappo, maddpg,
matd3, masac, m3ddpg, qmix, vdn, coma, meanfield_ac.
"""
import importlib

LEARNER_MODULES = ("ippo", "ia2c", "isac", "ireinforce", "lola", "selfplay", "fcp",
                   "mappo", "maddpg", "matd3", "masac", "m3ddpg", "qmix", "vdn", "coma", "meanfield")

for _name in LEARNER_MODULES:
    try:
        importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _err:  # a learner module not written yet is simply absent
        if _err.name != f"{__name__}.{_name}":
            raise
