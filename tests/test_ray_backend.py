"""The Ray backend (a local ``ray.init(num_cpus=2)``) gives the same records as the local backend."""
import pytest

ray = pytest.importorskip("ray")

from coopgym.runner import plan  # noqa: E402
from coopgym.runner.ledger import read_records  # noqa: E402
from coopgym.runner.sweep import run_sweep  # noqa: E402

SYNTH = "coopgym.runner.synthetic:synthetic_run"


def test_cli_starts_and_stops_a_local_ray(tmp_path, capsys):
    from coopgym.cli import main

    assert not ray.is_initialized()
    rc = main(["sweep", "--policies", "constant/10,constant/20", "--envs", "SLCD-v0", "--rewards", "private",
               "--seeds", "0-1", "--backend", "ray", "--workers", "2", "--ledger", str(tmp_path / "l.db"),
               "--run-fn", SYNTH, "--no-progress"])
    assert rc == 0 and "4 ok, 0 failed" in capsys.readouterr().out
    assert not ray.is_initialized()  # the sweep shut down the Ray it started
    assert len(read_records(tmp_path / "l.db")) == 4


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_matches_local_backend(tmp_path, local_ray):
    configs = plan.expand("ippo,constant/30,ippo_fail", "A-v0,B-v0", "private,cooperative", "0-1", "200",
                          policy_names=["ippo", "constant/30", "ippo_fail"], env_ids=["A-v0", "B-v0"])
    local = run_sweep(configs, tmp_path / "local.db", workers=2, run_fn=SYNTH, progress=False)
    remote = run_sweep(configs, tmp_path / "ray.db", backend="ray", run_fn=SYNTH, progress=False)
    assert (remote.ok, remote.failed) == (local.ok, local.failed) == (16, 8)
    a = {r.config_hash: r for r in read_records(tmp_path / "local.db")}
    b = {r.config_hash: r for r in read_records(tmp_path / "ray.db")}
    assert a.keys() == b.keys() == {c.config_hash for c in configs}
    for h, ra in a.items():
        rb = b[h]
        assert (ra.seed, ra.status, ra.mean_return, ra.std_return, ra.learning_curve, ra.metrics) == \
               (rb.seed, rb.status, rb.mean_return, rb.std_return, rb.learning_curve, rb.metrics)
        assert (ra.error or "").splitlines()[:1] == (rb.error or "").splitlines()[:1]
    again = run_sweep(configs, tmp_path / "ray.db", backend="ray", run_fn=SYNTH, progress=False,
                      retry_failed=False)
    assert again.skipped == len(configs) and again.ok == again.failed == 0
