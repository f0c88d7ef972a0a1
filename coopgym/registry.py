"""One registry of every policy by name: constants, heuristics, the audit's probes, oracles and learners.

Names are stable: ``constant/37``, ``heuristic/random``, ``heuristic/tit_for_tat``,
``probe/temporal/switch_at_0.9``, ``oracle/equilibrium``, ``ippo``, ... ``make_policy(name)``
builds one, ``policy_names(kind)`` lists them, ``register`` adds one. Constants, heuristics
and probes are numpy code built here. Oracles and learners are listed by name with where
they live ("module:attribute") and imported on their first ``make_policy`` (or
``entry.factory``), so listing the policies (``coopgym policies``) and making an
environment import neither torch, stable-baselines3 nor the solvers.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from coopgym.heuristics import ConstantPolicy, RandomPolicy, TitForTat
from coopgym.objectives import ORACLE_OBJECTIVES, learner_objective
from coopgym.policy import Policy
from coopgym.runner.probes import probes


@dataclass(frozen=True)
class PolicyEntry:
    """A registered policy: its factory (or "module:attribute" of one, imported on first use) and what it is."""

    name: str
    target: Callable[..., Policy] | str
    kind: str          # learner | oracle | heuristic | constant | probe
    family: str
    reference: str
    trains: bool
    objective: str = ""   # what it optimises, for entries whose class is imported lazily

    @property
    def factory(self) -> Callable[..., Policy]:
        if not isinstance(self.target, str):
            return self.target
        module, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module), attribute)


REGISTRY: dict[str, PolicyEntry] = {}


def register(name: str, factory: Callable[..., Policy] | str, *, kind: str, family: str, reference: str,
             trains: bool = False, objective: str = "") -> None:
    """Add a policy: ``factory`` builds it (keyword arguments of ``make_policy`` pass through), or is
    "module:attribute" of such a factory, imported when the policy is first made."""
    if name in REGISTRY:
        raise ValueError(f"policy {name!r} is already registered")
    REGISTRY[name] = PolicyEntry(name, factory, kind, family, reference, trains, objective)


def policy_names(kind: str | None = None) -> list[str]:
    return [name for name, entry in REGISTRY.items() if kind is None or entry.kind == kind]


def make_policy(name: str | Policy, **kwargs) -> Policy:
    """The policy called ``name`` (a Policy instance passes through)."""
    if isinstance(name, Policy):
        return name
    if name not in REGISTRY:
        raise ValueError(f"unknown policy {name!r}; see `coopgym policies` "
                         "(e.g. constant/50, heuristic/tit_for_tat, oracle/equilibrium)")
    return REGISTRY[name].factory(**kwargs)


ORACLE_REFERENCE = ("Coopetition-Gym v1 (arXiv:2605.02063); TR-1..TR-4 (arXiv:2510.18802, 2510.24909, 2601.16237, "
                    "2604.01240)")
#: the seven oracles (SPEC section 8): name -> class in coopgym.oracles.policies
ORACLES = {
    "oracle/equilibrium": "EquilibriumOracle", "oracle/nash": "NashOracle",
    "oracle/social_optimum": "SocialOptimumOracle", "oracle/trust_aware": "TrustAwareOracle",
    "oracle/loyalty": "LoyaltyOracle", "oracle/reciprocity": "ReciprocityOracle",
    "oracle/bounded_reciprocity": "BoundedReciprocityOracle",
}
#: the sixteen learners (SPEC section 8): name -> (module:class in coopgym.baselines.learners, family, reference)
LEARNERS = {
    "ippo": ("ippo:IPPO", "independent",
             "de Witt et al. 2020, Is Independent Learning All You Need in the StarCraft Multi-Agent Challenge? "
             "(arXiv:2011.09533); PPO: Schulman et al. 2017 (arXiv:1707.06347)"),
    "ia2c": ("ia2c:IA2C", "independent",
             "Mnih et al. 2016, Asynchronous Methods for Deep Reinforcement Learning (arXiv:1602.01783); "
             "independent: Papoudakis et al. 2021 (arXiv:2006.07869)"),
    "isac": ("isac:ISAC", "independent",
             "Haarnoja et al. 2018, Soft Actor-Critic: Off-Policy Maximum Entropy Deep RL with a Stochastic Actor "
             "(arXiv:1801.01290)"),
    "ireinforce": ("ireinforce:IREINFORCE", "independent",
                   "Williams 1992, Simple Statistical Gradient-Following Algorithms for Connectionist Reinforcement "
                   "Learning, Machine Learning 8"),
    "lola": ("lola:LOLA", "independent",
             "Foerster et al. 2018, Learning with Opponent-Learning Awareness (arXiv:1709.04326); DiCE: Foerster et "
             "al. 2018 (arXiv:1802.05098)"),
    "selfplay_ppo": ("selfplay:SelfPlayPPO", "independent",
                     "Bansal et al. 2018, Emergent Complexity via Multi-Agent Competition (arXiv:1710.03748); "
                     "Tesauro 1995, TD-Gammon; PPO: Schulman et al. 2017"),
    "fcp": ("fcp:FCP", "independent",
            "Strouse et al. 2021, Collaborating with Humans without Human Data (arXiv:2110.08176)"),
    "mappo": ("mappo:MAPPO", "centralised",
              "Yu et al. 2022, The Surprising Effectiveness of PPO in Cooperative Multi-Agent Games"),
    "maddpg": ("maddpg:MADDPG", "centralised",
               "Lowe et al. 2017, Multi-Agent Actor-Critic for Mixed Cooperative-Competitive Environments"),
    "matd3": ("matd3:MATD3", "centralised",
              "Ackermann et al. 2019, Reducing Overestimation Bias in Multi-Agent Domains Using Double Centralized "
              "Critics"),
    "masac": ("masac:MASAC", "centralised",
              "Haarnoja et al. 2018, Soft Actor-Critic; centralised soft critics as in Iqbal & Sha 2019 (MAAC)"),
    "m3ddpg": ("m3ddpg:M3DDPG", "centralised",
               "Li et al. 2019, Robust Multi-Agent Reinforcement Learning via Minimax Deep Deterministic Policy "
               "Gradient"),
    "qmix": ("qmix:QMIX", "centralised",
             "Rashid et al. 2018, QMIX: Monotonic Value Function Factorisation for Deep Multi-Agent Reinforcement "
             "Learning"),
    "vdn": ("vdn:VDN", "centralised",
            "Sunehag et al. 2018, Value-Decomposition Networks For Cooperative Multi-Agent Learning Based On Team "
            "Reward"),
    "coma": ("coma:COMA", "centralised", "Foerster et al. 2018, Counterfactual Multi-Agent Policy Gradients"),
    "meanfield_ac": ("meanfield:MeanFieldAC", "centralised",
                     "Yang et al. 2018, Mean Field Multi-Agent Reinforcement Learning"),
}


def _register_reference_set() -> None:
    for level in range(101):
        register(f"constant/{level}", (lambda level=level: ConstantPolicy(level)), kind="constant",
                 family="constant", reference=ConstantPolicy.reference)
    for heuristic in (RandomPolicy, TitForTat):
        register(heuristic.name, heuristic, kind="heuristic", family="heuristic", reference=heuristic.reference)
    for name, probe in probes().items():  # the behavioural audit's scripted profiles
        register(name, (lambda probe=probe: probe), kind="probe", family="audit", reference=probe.reference)
    for name, cls in ORACLES.items():
        register(name, f"coopgym.oracles.policies:{cls}", kind="oracle", family="game-theoretic",
                 reference=ORACLE_REFERENCE, objective=ORACLE_OBJECTIVES[name])
    for name, (where, family, reference) in LEARNERS.items():
        register(name, f"coopgym.baselines.learners.{where}", kind="learner", family=family, reference=reference,
                 trains=True, objective=learner_objective(name))


_register_reference_set()
