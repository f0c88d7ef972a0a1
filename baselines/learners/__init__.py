"""The learning algorithms; importing this package registers every one of them.

Independent learners (one set of parameters per agent by default): ippo, ia2c,
isac, ireinforce, lola, selfplay_ppo, fcp. Centralised training (critics on the
global state, each agent still learning from its own reward): mappo, maddpg,
matd3, masac, m3ddpg, qmix, vdn, coma, meanfield_ac.
"""
from __future__ import annotations

import importlib

LEARNER_MODULES = ("ippo", "ia2c", "isac", "ireinforce", "lola", "selfplay", "fcp",
                   "mappo", "maddpg", "matd3", "masac", "m3ddpg", "qmix", "vdn", "coma", "meanfield")

for _name in LEARNER_MODULES:
    importlib.import_module(f"{__name__}.{_name}")
