"""A copy of the checkout never silently runs the installed checkout's envs, baselines or oracles (issue #13)."""
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_copy_of_the_checkout_fails_loudly_naming_both_places(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "coopgym", copy / "coopgym", ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("envs", "baselines", "oracles"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    out = subprocess.run([sys.executable, "-c", "import coopgym"], cwd=copy, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode != 0
    message = out.stderr.strip().splitlines()[-1]
    assert message.startswith("ImportError: two copies of coopgym are mixed")
    assert str((copy / "coopgym").resolve()) in message and str((ROOT / "envs").resolve()) in message


def test_the_installed_checkout_imports_its_own_parts():
    import coopgym
    import coopgym.baselines
    import coopgym.envs
    import coopgym.oracles

    for part in (coopgym.envs, coopgym.baselines, coopgym.oracles):
        assert Path(part.__file__).resolve().parent.parent == Path(coopgym.__file__).resolve().parent.parent


def test_the_wheel_layout_with_the_parts_inside_coopgym_imports(tmp_path):
    """An installed wheel puts envs/, baselines/ and oracles/ inside coopgym/ (package-dir): that is one tree."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "coopgym", site / "coopgym", ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("envs", "baselines", "oracles"):
        shutil.copytree(ROOT / part, site / "coopgym" / part, ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import coopgym, coopgym.oracles, coopgym.baselines; "
            "print(coopgym.envs.__file__, coopgym.oracles.__file__, coopgym.baselines.__file__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=site, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert all(Path(f).resolve().is_relative_to((site / "coopgym").resolve()) for f in out.stdout.split())


def test_no_module_is_over_600_lines():
    long = {str(p.relative_to(ROOT)): n for part in ("coopgym", "envs", "baselines", "oracles")
            for p in (ROOT / part).rglob("*.py") if (n := len(p.read_text().splitlines())) > 600}
    assert not long, long
