"""Generalisation scenarios: the catalogue, the seat-wise rollout, the references, evaluate and cross-play."""
import json
import subprocess
import sys

import numpy as np
import pytest

import coopgym
from coopgym import cli
from coopgym.registry import REGISTRY, make_policy
from coopgym.envs import make_game
from coopgym.scenarios import KINDS, LAYOUTS, catalogue, get_scenario, scenarios_for, select
from coopgym.scenarios import references as refmod
from coopgym.scenarios.catalogue import background_policies, check_held_out, counts, evaluation_keys
from coopgym.scenarios.crossplay import crossplay, draw_heatmap, read, write
from coopgym.scenarios.evaluate import evaluate, evaluate_scenario, load_policy, summarise, training_partners
from coopgym.scenarios.play import SeatSchedule, make_player, play, play_scenario

SLCD_TFT = "SLCD-v0/visitor/reciprocators-tit_for_tat"


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """References go to a per-session temporary cache, never the user's."""
    monkeypatch.setenv("COOPGYM_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


# ---- the catalogue -------------------------------------------------------------------------------

def test_catalogue_covers_every_environment_and_kind():
    table = catalogue()
    assert len(table) >= 80
    per_env = counts()["env"]
    assert set(per_env) == set(coopgym.env_ids()) and len(per_env) == 20
    assert min(per_env.values()) >= 4
    assert set(counts()["kind"]) == set(KINDS) and set(counts()["layout"]) == set(LAYOUTS)
    assert all(s.id == sid for sid, s in table.items())


def test_every_kind_and_layout_has_a_one_sentence_meaning():
    for text in list(KINDS.values()) + list(LAYOUTS.values()):
        assert text and text.count(". ") == 0 and len(text) > 30


def test_ids_are_unique_stable_and_say_what_they_are():
    from coopgym.scenarios.catalogue import _build

    first, second = list(_build()), list(_build())
    assert first == second and len(set(first)) == len(first)
    s = get_scenario("SLCD-v0/visitor/mixed")
    assert (s.env, s.layout, s.kind, s.focal, s.draw) == ("SLCD-v0", "visitor", "mixed", (0,), "per_episode")
    r = get_scenario("PublicGoods-v0/resident/defectors-betrayal")
    assert r.focal == (0, 1, 2, 3) and r.background_seats == (4,)
    assert r.members == ("probe/temporal/switch_at_0.5",)
    assert [x.layout for x in scenarios_for("SLCD-v0")] == ["visitor"] * 7      # 2 agents: no resident layout


def test_layouts_follow_their_definitions():
    for s in catalogue().values():
        assert 0 < len(s.focal) < s.n_agents and make_game(s.env).n == s.n_agents
        if s.layout == "visitor":
            assert s.focal == (0,)
        else:
            assert s.n_agents >= 3 and s.background_seats == (s.n_agents - 1,)


def test_backgrounds_are_registered_fixed_policies_and_held_out():
    members = background_policies()
    assert members and all(m in REGISTRY and not REGISTRY[m].trains for m in members)
    with pytest.raises(ValueError, match="held out"):
        check_held_out(["heuristic/tit_for_tat"])
    check_held_out(["constant/50"])   # not a background: allowed
    ippo = make_policy("ippo", partners={1: "heuristic/tit_for_tat"})
    assert training_partners(ippo) == {"heuristic/tit_for_tat"}


def test_readme_states_the_catalogue_size():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert f"`coopgym scenarios` lists {len(catalogue())} over the 20 environments" in " ".join(text.split())


def test_listing_imports_no_torch():
    code = ("import sys; from coopgym.scenarios import catalogue; catalogue(); "
            "assert 'torch' not in sys.modules, 'listing imported torch'")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---- play ------------------------------------------------------------------------------------------

def test_play_matches_a_plain_step_loop():
    """Seat-wise play equals stepping the game by hand with the same actions (an independent loop)."""
    game = make_game("GiftExchange-v0", reward="private")
    keys = evaluation_keys(0, 3)
    tft, c30 = make_policy("heuristic/tit_for_tat").bind(game), make_policy("constant/30")
    got = play(game, [c30, tft], np.array([0, 1]), keys)
    state, total, pay = game.reset(keys), np.zeros((3, 2)), np.zeros((3, 2))
    for _ in range(game.horizon):
        a = np.concatenate([0.3 * np.broadcast_to(game.e[:1], (3, 1)), tft.act(game, state, np.array([1]))], axis=1)
        state, res = game.step(state, a)
        total += res.rewards
        pay += res.payoffs
    np.testing.assert_allclose(got.rewards, total, rtol=1e-12)
    np.testing.assert_allclose(got.payoffs, pay, rtol=1e-12)
    np.testing.assert_allclose(got.cooperation([0]), 0.3)
    assert got.lengths.tolist() == [game.horizon] * 3


def test_play_stops_counting_a_game_when_it_ends():
    """TrustDilemma ends when mean trust drops below .05: total defection ends it after 3 steps, and
    the rewards, lengths and final trust are those of the steps before the end."""
    game = make_game("TrustDilemma-v0", reward="private")
    keys = evaluation_keys(0, 2)
    got = play(game, [make_policy("constant/0"), make_policy("constant/50")], np.array([[0, 0], [1, 1]]), keys)
    assert got.lengths[0] < game.horizon and got.lengths[1] == game.horizon
    state, total = game.reset(keys[:1]), np.zeros(2)
    for _ in range(got.lengths[0]):
        state, res = game.step(state, np.zeros((1, 2)))
        total += res.rewards[0]
    assert res.terminated[0]
    np.testing.assert_allclose(got.rewards[0], total, rtol=1e-12)
    assert got.final_trust[0] == pytest.approx(state.T[0].sum() / 2) and got.final_trust[0] < 0.05


def test_play_rejects_a_bad_assignment():
    game = make_game("SLCD-v0")
    with pytest.raises(ValueError, match="outside 0..0"):
        play(game, [make_policy("constant/1")], np.array([0, 1]), evaluation_keys(0, 1))


def test_seat_schedule_plays_the_defector_schedule_in_any_seat():
    game = make_game("SLCD-v0")
    probe = make_player("probe/temporal/switch_at_0.5")
    assert isinstance(probe, SeatSchedule)
    played = play(game, [make_policy("constant/50"), probe], np.array([0, 1]), evaluation_keys(0, 1))
    assert played.cooperation([1])[0] == pytest.approx(0.7 * 0.5)     # 70 % for 50 of 100 steps, then 0


def test_metrics_by_hand():
    from coopgym.scenarios.play import Episodes

    ep = Episodes(rewards=np.array([[1.0, 3.0]]), payoffs=np.array([[1.0, 3.0]]), effort=np.array([[2.0, 1.0]]),
                  active_steps=np.array([[4.0, 4.0]]), lengths=np.array([4]), final_trust=None)
    assert ep.welfare()[0] == 4.0
    # Gini of (1, 3): sum |x_i - x_j| = 4, 2 n^2 mean = 16 -> .25
    assert ep.equality()[0] == pytest.approx(0.75)
    assert ep.cooperation([0, 1])[0] == pytest.approx(3 / 8)
    assert ep.per_capita([1])[0] == 3.0


# ---- mixed backgrounds ---------------------------------------------------------------------------

def test_mixed_draws_are_reproducible_per_game_and_really_mixed():
    s = get_scenario("GraduatedSanction-v0/visitor/mixed")
    keys = s.keys(0, 32)
    batch = s.draws(keys)
    single = np.concatenate([s.draws(keys[i:i + 1]) for i in range(32)])
    np.testing.assert_array_equal(batch, single)              # N batched games = N single games
    np.testing.assert_array_equal(batch, s.draws(s.keys(0, 32)))
    assert not np.array_equal(batch, s.draws(s.keys(1, 32)))   # another seed, other draws
    assert len(np.unique(batch)) == len(s.members)             # every member plays somewhere
    assert len({tuple(r) for r in batch}) > 16                 # seats draw independently per episode
    assert (batch[:, 0][:, None] != batch).any()               # seats of one game differ


def test_mixed_scenario_returns_are_reproducible_and_vary_by_episode():
    s = get_scenario("SLCD-v0/visitor/mixed")
    first = play_scenario(s, [make_policy("constant/40")])
    again = play_scenario(s, [make_policy("constant/40")])
    np.testing.assert_array_equal(first.rewards, again.rewards)
    assert len(np.unique(np.round(first.rewards[:, 1], 6))) > 2   # different partners, different returns


# ---- references and scores -----------------------------------------------------------------------

def test_best_focal_response_scores_one_and_random_zero():
    s = get_scenario(SLCD_TFT)
    refs = refmod.references(s)
    assert refs.best == max(v for k, v in refs.candidates.items() if k != refmod.RANDOM)
    assert len(refs.candidates) == 1 + 101 + 7 + 1 and refs.seconds > 0
    best = evaluate_scenario(make_player(refs.best_policy), s)
    rand = evaluate_scenario(make_policy("heuristic/random"), s)
    assert best["normalised"] == pytest.approx(1.0, abs=1e-12)
    assert rand["normalised"] == pytest.approx(0.0, abs=1e-12)
    c50 = evaluate_scenario(make_policy("constant/50"), s)
    assert c50["focal_return"] == pytest.approx(refs.candidates["constant/50"], rel=1e-12)
    assert c50["normalised"] == pytest.approx((c50["focal_return"] - refs.random) / (refs.best - refs.random))
    assert c50["normalised"] < 1


def test_a_reference_is_the_return_of_an_independent_loop():
    """constant/25 against tit-for-tat, computed by hand, is what the reference table holds."""
    s = get_scenario(SLCD_TFT)
    game = make_game("SLCD-v0", reward="private")
    tft = make_policy("heuristic/tit_for_tat").bind(game)
    state, total = game.reset(s.keys(0)), 0.0
    for _ in range(game.horizon):
        a = np.concatenate([np.full((s.episodes, 1), 25.0), tft.act(game, state, np.array([1]))], axis=1)
        state, res = game.step(state, a)
        total = total + res.rewards[:, 0]
    assert refmod.references(s).candidates["constant/25"] == pytest.approx(total.mean(), rel=1e-12)


def test_references_are_cached_on_disk_and_recomputed_on_request(monkeypatch):
    s = get_scenario("SLCD-v0/visitor/defectors-low")
    refmod._MEMORY.clear()             # another test may have computed it under another cache folder
    first = refmod.references(s)
    refmod._MEMORY.clear()
    monkeypatch.setattr(refmod, "compute", lambda s: pytest.fail("read from disk, not recomputed"))
    assert refmod.references(s) == first


def test_a_degenerate_scale_says_why():
    refs = refmod.References("x", random=100.0, best=100.5, best_policy="constant/3", candidates={})
    value, reason = refs.normalise(100.2)
    assert value is None and "degenerate" in reason and "constant/3" in reason
    assert refmod.References("x", 0.0, 2.0, "c", {}).normalise(1.0) == (0.5, "")


# ---- evaluate ------------------------------------------------------------------------------------

def test_evaluate_a_registered_policy_gives_a_row_per_scenario_and_summaries():
    rows = evaluate(load_policy("constant/30"), select("SLCD-v0", "visitor/cooperators,visitor/defectors-low"),
                    seeds=[0, 1])
    assert [(r["scenario"], r["seed"]) for r in rows] == [
        ("SLCD-v0/visitor/cooperators", 0), ("SLCD-v0/visitor/cooperators", 1),
        ("SLCD-v0/visitor/defectors-low", 0), ("SLCD-v0/visitor/defectors-low", 1)]
    for r in rows:
        assert r["held_out"] and r["cooperation"] == pytest.approx(0.3) and 0 < r["equality"] <= 1
    assert rows[0]["background_cooperation"] == pytest.approx(0.9)
    by_kind = {g["kind"]: g for g in summarise(rows, "kind")}
    assert by_kind["cooperators"]["scored"] == 1 and by_kind["cooperators"]["lower"] is not None
    lone = summarise(rows[:1], "kind")[0]
    assert lone["iqm"] == pytest.approx(rows[0]["normalised"]) and lone["lower"] is None   # one seed: no interval


@pytest.fixture(scope="module")
def tiny_checkpoints(tmp_path_factory, one_torch_thread):
    """Two tiny IPPO checkpoints: SLCD-v0 (2 agents) and ReciprocalDilemma-v0 with 3 agents."""
    from tests.learner_settings import tiny

    where = tmp_path_factory.mktemp("ckpt")
    paths = {}
    for env, options in (("SLCD-v0", {}), ("ReciprocalDilemma-v0", {"n_agents": 3})):
        learner = make_policy("ippo", seed=0, **tiny("ippo"))
        learner.train(env, 128, {"reward": "private", **options})
        paths[env] = where / f"{env}.zip"
        learner.save(paths[env])
    return paths


def test_evaluate_a_trained_checkpoint(tiny_checkpoints):
    policy = load_policy(str(tiny_checkpoints["SLCD-v0"]))
    rows = evaluate(policy, scenarios_for("SLCD-v0")[:2], label="tiny-ippo")
    assert len(rows) == 2 and all(r["policy"] == "tiny-ippo" and np.isfinite(r["normalised"]) for r in rows)


def test_load_policy_reads_torch_checkpoints_too(tmp_path, one_torch_thread):
    from tests.learner_settings import tiny

    learner = make_policy("mappo", seed=0, **tiny("mappo"))
    learner.train("SLCD-v0", 64, {"reward": "private"})
    learner.save(tmp_path / "mappo.pt")
    loaded = load_policy(str(tmp_path / "mappo.pt"))
    assert type(loaded) is type(learner) and loaded.meta["env_id"] == "SLCD-v0"
    row = evaluate_scenario(loaded, get_scenario("SLCD-v0/visitor/cooperators"))
    assert np.isfinite(row["focal_return"])


def test_evaluate_cli_json(tiny_checkpoints, capsys):
    code = cli.main(["evaluate", "--policy", str(tiny_checkpoints["SLCD-v0"]), "--env", "SLCD-v0",
                     "--scenarios", "visitor/defectors-low", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and [r["scenario"] for r in out["rows"]] == ["SLCD-v0/visitor/defectors-low"]


@pytest.mark.parametrize("argv, message", [
    (["--policy", "constant/50", "--env", "SLCD-v0", "--scenarios", "visitor/nobody"], "unknown scenario"),
    (["--policy", "constant/50", "--env", "SLCD-v0", "--scenarios", "TrustDilemma-v0/visitor/mixed"],
     "belongs to TrustDilemma-v0"),
    (["--policy", "constant/50", "--env", "NoSuchEnv-v0"], "unknown environment"),
    (["--policy", "constant/500", "--env", "SLCD-v0"], "neither a registered policy"),
    (["--policy", "ippo", "--env", "SLCD-v0"], "is a learner"),
])
def test_evaluate_bad_input_is_a_clear_error(argv, message, capsys):
    assert cli.main(["evaluate", *argv]) == 2
    assert message in capsys.readouterr().err


def test_checkpoint_of_another_environment_or_agent_count_is_refused(tiny_checkpoints, tmp_path, capsys):
    slcd = str(tiny_checkpoints["SLCD-v0"])
    assert cli.main(["evaluate", "--policy", slcd, "--env", "TrustDilemma-v0"]) == 2
    err = capsys.readouterr().err
    assert "trained on SLCD-v0" in err and "TrustDilemma-v0" in err
    three = str(tiny_checkpoints["ReciprocalDilemma-v0"])
    assert cli.main(["evaluate", "--policy", three, "--env", "ReciprocalDilemma-v0"]) == 2
    assert "n=3" in capsys.readouterr().err
    junk = tmp_path / "junk.zip"
    junk.write_text("not a checkpoint")
    assert cli.main(["evaluate", "--policy", str(junk), "--env", "SLCD-v0"]) == 2
    assert "not a learner checkpoint" in capsys.readouterr().err


# ---- cross-play ----------------------------------------------------------------------------------

def test_crossplay_matrix_shape_meaning_and_files(tmp_path):
    names = ["constant/20", "constant/60", "heuristic/tit_for_tat", "oracle/equilibrium"]
    result = crossplay("GiftExchange-v0", names, episodes=2)
    M = np.array(result["matrix"])
    assert M.shape == (4, 4) and result["focal_seats"] == [0] and result["other_seats"] == [1]
    game = make_game("GiftExchange-v0", reward="private")
    keys = evaluation_keys(0, 2)
    for i, row in enumerate(names):
        for j, col in ((i, row), (1, names[1])):   # the diagonal is self-play; one off-diagonal cell too
            solo = play(game, [make_player(row), make_player(col)], np.array([0, 1]), keys)
            assert M[i, j] == pytest.approx(solo.rewards[:, 0].mean(), rel=1e-12)
    for out in ("m.json", "m.csv"):
        back = read(write(result, tmp_path / out))
        np.testing.assert_allclose(back["matrix"], M, rtol=1e-12)
        assert back["policies"] == names
    fig = draw_heatmap(tmp_path / "m.json")
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), M)


def test_crossplay_cli_writes_the_matrix_and_refuses_bad_input(tiny_checkpoints, tmp_path, capsys):
    out = tmp_path / "cp.json"
    policies = ",".join(["constant/10", "constant/90", "heuristic/tit_for_tat", str(tiny_checkpoints["SLCD-v0"])])
    assert cli.main(["crossplay", "--env", "SLCD-v0", "--policies", policies, "--episodes", "1",
                     "--out", str(out)]) == 0
    assert np.array(json.loads(out.read_text())["matrix"]).shape == (4, 4)
    capsys.readouterr()
    for argv, message in ((["--policies", "constant/10"], "at least two"),
                          (["--policies", "constant/10,constant/20", "--focal", "0,1"], "some but not all"),
                          (["--policies", "constant/10,constant/20", "--out", str(tmp_path / "m.txt")], ".json or .csv"),
                          (["--policies", f"constant/10,{tiny_checkpoints['ReciprocalDilemma-v0']}"], "trained on")):
        assert cli.main(["crossplay", "--env", "SLCD-v0", *argv]) == 2
        assert message in capsys.readouterr().err


def test_scenarios_cli_lists_and_filters(capsys):
    assert cli.main(["scenarios", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == len(catalogue()) >= 80
    assert cli.main(["scenarios", "--env", "SLCD-v0", "--kind", "mixed", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == ["SLCD-v0/visitor/mixed"]
    assert cli.main(["scenarios", "--kind", "traitors"]) == 2
    assert "unknown kind" in capsys.readouterr().err
