"""The seven independent learners (IPPO, IA2C, ISAC, IREINFORCE, LOLA, SelfPlay-PPO, FCP): they train,
keep each agent on its own reward, run on a real SB3 VecEnv, and IPPO learns to cooperate with TitForTat.
(The contract all 16 learners share, learning included, is in test_learners_contract.py.)

COOPGYM_LEARNING=short (the default, CI) runs the TitForTat check on a small budget;
COOPGYM_LEARNING=full runs it with three times the budget.
"""
import os
import tempfile

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO

import coopgym
from conftest import some_states
from coopgym.baselines import make_policy
from coopgym.baselines.learners.lola import LOLA
from coopgym.baselines.learners.sb3_vec import JointGames, SeatView
from learner_settings import INDEPENDENT, make, tiny

NAMES = INDEPENDENT
SB3_SEPARATE = ["ippo", "ia2c", "isac", "ireinforce"]   # SB3-backed, one model per agent
LEARNING = os.environ.get("COOPGYM_LEARNING", "short")


# ---- registry and interface -------------------------------------------------------------------

def test_bad_settings_and_untrained_use_are_refused():
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        make("ippo", learning_rat=1e-3)
    with pytest.raises(RuntimeError, match="train"):
        make("isac").act(*some_states("SLCD-v0", {}), slice(None))
    with pytest.raises(ValueError, match="share_parameters=False"):
        make("selfplay_ppo", share_parameters=False)
    with pytest.raises(ValueError, match="share_parameters"):
        make("lola", share_parameters=True)
    with pytest.raises(ValueError, match="not a registered fixed"):
        make("ippo", partners={1: "ippo"})
    with pytest.raises(ValueError, match="steps"):
        make("ia2c").train("SLCD-v0", -1)
    learner = make("ia2c", **tiny("ia2c"))
    learner.train("SLCD-v0", 0)
    with pytest.raises(ValueError, match="n=2"):
        learner.act(*some_states("TeamProduction-v0", {}), slice(None))
    with pytest.raises(ValueError, match="built for SLCD-v0"):
        learner.train("TeamProduction-v0", 64)


# ---- brief training on the two named environments ----------------------------------------------

@pytest.mark.parametrize("env_id", ["SLCD-v0", "TeamProduction-v0"])
@pytest.mark.parametrize("name", NAMES)
def test_trains_briefly_with_finite_losses_and_returns(name, env_id):
    if env_id not in coopgym.env_ids():
        pytest.skip(f"{env_id} is not registered yet")
    options = dict(horizon=10)
    seen = []
    learner = make(name, **tiny(name))
    curve = learner.train(env_id, 640, options, callback=lambda steps, ret: seen.append((steps, ret)))
    assert curve and all(np.isfinite(r) for _, r in curve)
    assert [s for s, _ in curve] == sorted(s for s, _ in curve)
    if name != "fcp":   # fcp's curve also holds its partners' training
        assert len(seen) == len(curve) and seen[0][1].shape == (learner.meta["n"],)
    assert learner.last_stats and all(np.isfinite(v) for v in learner.last_stats.values())
    assert any("loss" in k or "objective" in k for k in learner.last_stats)
    game, state = some_states(env_id, options)
    a = learner.act(game, state, slice(None))
    assert a.shape == (state.batch, game.n) and np.all((a >= 0) & (a <= game.e))
    np.testing.assert_array_equal(learner.act(game, state, np.array([1])), a[:, [1]])


@pytest.mark.parametrize("name", ["ippo", "ia2c", "isac", "ireinforce"])
def test_shared_parameters_is_one_model_for_every_seat(name):
    learner = make(name, share_parameters=True, **tiny(name))
    curve = learner.train("TeamProduction-v0", 640, dict(horizon=10, reward="private"))
    assert len(learner.models) == 1 and curve and np.isfinite([r for _, r in curve]).all()
    assert len(make(name, **tiny(name)).units(4)) == 4


def test_training_leaves_the_global_random_state_alone():
    expected_np = np.random.RandomState(123).random_sample(3)
    expected_torch = torch.rand(3, generator=torch.Generator().manual_seed(123))
    np.random.seed(123)
    torch.manual_seed(123)
    make("ippo", **tiny("ippo")).train("SLCD-v0", 64, dict(horizon=10))
    np.testing.assert_array_equal(np.random.random(3), expected_np)
    assert torch.equal(torch.rand(3), expected_torch)


@pytest.mark.parametrize("verbose", [0, 1])
def test_training_leaves_no_logger_folders_behind(verbose, monkeypatch, tmp_path, capsys):
    """SB3's default logger would make an empty SB3-<time> folder in the temp directory per model
    and per train call; ours writes nowhere (verbose=0) or to stdout only (verbose=1)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    learner = make("ia2c", verbose=verbose, **tiny("ia2c"))
    learner.train("SLCD-v0", 64, dict(horizon=10))
    learner.train("SLCD-v0", 64, dict(horizon=10))
    assert list(tmp_path.glob("SB3-*")) == []
    assert ("train/" in capsys.readouterr().out) == bool(verbose)


# ---- each agent learns from its own reward ----------------------------------------------------------

def _trained_with(name, monkeypatch, alter, **extra):
    """One learner trained on TeamProduction with private rewards, agent 1's rewards passed through ``alter``."""
    step = JointGames.step

    def altered(self):
        step(self)
        self.last["rewards"][:, 1] = alter(self.last["rewards"][:, 1])

    monkeypatch.setattr(JointGames, "step", altered)
    learner = make(name, seed=1, **tiny(name, **extra))
    learner.train("TeamProduction-v0", 72, dict(reward="private", horizon=10))
    monkeypatch.setattr(JointGames, "step", step)
    return learner


@pytest.mark.parametrize("name", SB3_SEPARATE)
def test_changing_agent_1_rewards_leaves_agent_0_untouched(name, monkeypatch):
    """reward="private", one update of every agent (one rollout; ISAC: one gradient step): agent 0's
    parameters and last gradient are identical whatever agent 1's rewards are, agent 1's are not."""
    extra = dict(num_envs=8, n_steps=9) if name in ("ippo", "ia2c") else {}
    if name == "ippo":
        extra.update(batch_size=24)
    if name == "isac":
        extra = dict(num_envs=8, learning_starts=64)   # 9 steps of 8 games: one update at the last
    a = _trained_with(name, monkeypatch, lambda r: r, **extra)
    b = _trained_with(name, monkeypatch, lambda r: -3.0 * r + 1.0, **extra)
    for pa, pb in zip(a.models[0].policy.parameters(), b.models[0].policy.parameters()):
        assert torch.equal(pa, pb)
        assert (pa.grad is None and pb.grad is None) or torch.equal(pa.grad, pb.grad)
    assert any(not torch.equal(pa, pb) for pa, pb in zip(a.models[1].policy.parameters(),
                                                          b.models[1].policy.parameters()))


def _lola_batch(seed=0):
    learner = LOLA(seed=seed, **tiny("lola"))
    games = JointGames("TeamProduction-v0", 8, 5, dict(reward="private", horizon=10))
    learner.build(games.n, games.game.obs_dim)
    return learner, learner.collect(games, torch.Generator().manual_seed(0))


@pytest.mark.parametrize("lookahead", [0.0, 0.3])
def test_lola_agent_0_sees_agent_1_rewards_only_through_its_learning(lookahead):
    """Naive (lookahead 0): agent 0's gradient ignores agent 1's rewards. LOLA: it changes, because agent 0
    models agent 1's learning step on agent 1's own objective (opponent shaping, by design)."""
    grads = []
    for alter in (lambda r: r, lambda r: -3.0 * r + 1.0):
        learner, batch = _lola_batch()
        learner.hp["lookahead"] = lookahead
        batch["rewards"][1] = alter(batch["rewards"][1])
        learner.update(batch)
        grads.append([p.grad.clone() for p in learner.policies[0].parameters()])
    same = all(torch.equal(x, y) for x, y in zip(*grads))
    assert same == (lookahead == 0.0)


@pytest.mark.parametrize("name", ["selfplay_ppo", "fcp"])
def test_shared_policies_train_on_each_seats_own_reward(name):
    """The samples of the one shared model carry their own seat's reward, never a sum."""
    learner = make(name, **tiny(name, scale_rewards=False, **({"partner_share": 0.0} if name == "fcp" else {})))
    learner.train("TeamProduction-v0", 64, dict(reward="private", horizon=10))
    model = learner.models[0]
    view = model.get_env()
    games = view.games
    np.testing.assert_array_equal(model.rollout_buffer.rewards[-1],
                                  games.last["rewards"][view.g, view.s].astype(np.float32))
    assert len(set(view.s.tolist())) == games.n


# ---- the SB3 VecEnv view ------------------------------------------------------------------------------

def test_seat_view_is_a_real_sb3_vec_env():
    """SB3's own learn loop on agent 0's view (agent 1 a fixed TitForTat); timeouts and seeds as SB3 expects."""
    tft = make_policy("heuristic/tit_for_tat")

    def coplayers(g):
        tft.bind(g.game)
        return tft.act(g.game, g.state, slice(None)) / g.game.e

    games = JointGames("SLCD-v0", 4, 0, dict(horizon=5), coplayers=coplayers)
    view = SeatView.agent(games, 0)
    model = PPO("MlpPolicy", view, n_steps=8, batch_size=16, seed=3, device="cpu")
    model.learn(64)
    assert model.num_timesteps == 64 and len(model.ep_info_buffer) > 0
    view.seed(11)
    first = view.reset()
    for t in range(5):
        view.step_async(np.full((4, 1), 0.5, dtype=np.float32))
        obs, rew, done, infos = view.step_wait()
    d = view.observation_space.shape[0]
    assert done.all() and all(i["TimeLimit.truncated"] and i["terminal_observation"].shape == (d,) for i in infos)
    view.seed(11)
    np.testing.assert_array_equal(view.reset(), first)


def test_sb3_callbacks_run_per_agent_and_can_stop_training():
    from stable_baselines3.common.callbacks import BaseCallback

    class Count(BaseCallback):
        def __init__(self, stop_after=None):
            super().__init__()
            self.steps, self.rollouts, self.stop_after = 0, 0, stop_after

        def _on_step(self):
            self.steps += 1
            return self.stop_after is None or self.steps < self.stop_after

        def _on_rollout_end(self):
            self.rollouts += 1

    learner = make("ippo", **tiny("ippo"))
    callbacks = [Count(), Count()]
    learner.train("SLCD-v0", 256, dict(horizon=10), sb3_callbacks=callbacks)
    assert [c.steps for c in callbacks] == [32, 32] and [c.rollouts for c in callbacks] == [4, 4]
    assert callbacks[0].model is learner.models[0] and callbacks[1].model is learner.models[1]
    stopping = make("ippo", **tiny("ippo"))
    stopping.train("SLCD-v0", 256, dict(horizon=10), sb3_callbacks=[Count(stop_after=3), Count()])
    assert stopping.env_steps == 64   # the rollout in progress completes, then training stops


def test_partners_play_their_seats_in_training_and_acting(tmp_path):
    learner = make("ia2c", partners={1: "constant/70"}, **tiny("ia2c"))
    learner.train("SLCD-v0", 128, dict(horizon=10))
    assert len(learner.models) == 1
    game, state = some_states("SLCD-v0", {})
    np.testing.assert_allclose(learner.act(game, state, np.array([1])), 70.0)
    learner.save(tmp_path / "c")
    assert type(learner).load(tmp_path / "c").hyperparameters == learner.hyperparameters


def test_lockstep_views_wait_for_every_agent():
    games = JointGames("SLCD-v0", 3, 0)
    v0, v1 = SeatView.agent(games, 0), SeatView.agent(games, 1)
    v0.step_async(np.zeros((3, 1)))
    with pytest.raises(RuntimeError, match="seats \\[1\\] have no action"):
        v0.step_wait()
    v1.step_async(np.ones((3, 1)))
    v0.step_wait()
    _, r1, _, _ = v1.step_wait()
    assert games.count == 1   # one joint step for both views
    np.testing.assert_allclose(games.state.last_action, [[0.0, 100.0]] * 3)
    np.testing.assert_array_equal(r1, games.last["rewards"][:, 1].astype(np.float32))
    with pytest.raises(ValueError, match="two views"):
        SeatView.agent(games, 0)


# ---- learning -----------------------------------------------------------------------------------------

SCALE = 3 if LEARNING == "full" else 1   # the full form of the TitForTat check triples its budget


def _against_tit_for_tat(act0, env_id, options, episodes=32):
    """Agent 0's mean return and cooperation rate a_0 / e_0 when ``act0(game, state)`` plays it against
    TitForTat, on the evaluation seeds."""
    game = coopgym.envs.make_game(env_id, **options)
    tft = make_policy("heuristic/tit_for_tat").bind(game)
    state = game.reset(coopgym.rng.seed_keys(1_000_000, episodes))
    total, rates = np.zeros(episodes), []
    for _ in range(game.horizon):
        a = np.column_stack([act0(game, state)[:, 0], tft.act(game, state, np.array([1]))[:, 0]])
        state, res = game.step(state, a)
        total += res.rewards[:, 0]
        rates.append(res.actions[:, 0] / game.e[0])
    return float(total.mean()), float(np.mean(rates))


@pytest.mark.learning
def test_ippo_learns_to_cooperate_with_tit_for_tat():
    """IPPO's agent 0 against a fixed TitForTat partner in ReciprocalDilemma (integrated reward): it learns
    to invest above the baseline action (b = 30 % of e), and that earns it more than playing the
    baseline against TitForTat and more than its untrained start."""
    env_id = "ReciprocalDilemma-v0"
    options = dict(reward="integrated")
    partners = {1: "heuristic/tit_for_tat"}
    untrained = make("ippo", partners=partners)
    untrained.train(env_id, 0, options)
    learner = make("ippo", partners=partners)
    learner.train(env_id, 200_000 * SCALE, options)
    agent0 = lambda policy: (lambda game, state: policy.act(game, state, np.array([0])))
    trained, rate = _against_tit_for_tat(agent0(learner), env_id, options)
    start, _ = _against_tit_for_tat(agent0(untrained), env_id, options)
    baseline, _ = _against_tit_for_tat(lambda game, state: game.baseline[None, :1].repeat(state.batch, 0),
                                       env_id, options)
    b = float(coopgym.envs.make_game(env_id).baseline[0] / coopgym.envs.make_game(env_id).e[0])
    assert rate > b + 0.1, (rate, b)
    assert trained > baseline and trained > start, (trained, baseline, start)
