"""The 16 learning algorithms, lean torch on one base. ``coopgym.registry``
lists them by name and imports a module the first time its learner is made.

Independent learners (each agent learns alone on its own observation): ippo, ia2c, isac,
ireinforce, lola, selfplay_ppo, fcp. Centralised training (critics or mixers on the global
state, each agent still learning from its own reward): mappo, maddpg, matd3, masac, m3ddpg,
qmix, vdn, coma, meanfield_ac.

All of them stand on the same three pieces: ``base.Learner`` (hyperparameters, seeding, exact
budgets with evaluation points inside the run, acting, checkpoints), the one rollout driver
``rollout.Rollout`` over ``coopgym.vector_env(..., action_units="fraction")``, and the per-agent
network ensemble ``nets.AgentMLP`` (all agents' networks in one batched matmul). Each
algorithm's file holds its networks, how it acts, its loss and its update.

Why not stable-baselines3 (which earlier versions used for the independent learners, and which
``gymnasium.make("coopgym/SLCD-v0")`` still serves as is): SB3 runs one model per agent and
does Python bookkeeping per model per step (buffers, callbacks, loggers), so n agents cost n
forward passes and n loops; with 40 agents (ApacheProject-v0) that alone is far slower than
the batched game, and the lockstep of many SB3 models needed its private members. One
ensemble forward for all agents and games keeps training at the speed of the matrix maths.
"""


def __getattr__(name: str):
    """``load(path)`` (any learner's checkpoint), imported on first use: importing this package stays free
    of torch."""
    if name == "load":
        from coopgym.baselines.learners.base import load

        return load
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
