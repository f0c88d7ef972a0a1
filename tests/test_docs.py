"""The docs are rendered from the specs: the README's table is what the code runs."""
from pathlib import Path

from coopgym.commands.envs import catalogue, with_table

import coopgym

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_environment_table_matches_the_specs():
    text = README.read_text()
    assert text == with_table(text), "run `coopgym envs --update-readme README.md`"


def test_catalogue_lists_every_registered_environment():
    assert [r["id"] for r in catalogue()] == coopgym.env_ids()


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_one():
    text = README.read_text()
    commands = [line for line in text.splitlines() if line.startswith("python3 -m venv")]
    assert len(commands) >= 2 and commands[0].endswith("coopgym main")
    ci = (README.parent / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci == commands[1]
