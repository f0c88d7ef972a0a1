"""Generalisation scenarios (SPEC section 10, after Melting Pot): focal policies among held-out backgrounds.

- ``catalogue``: the scenarios as frozen data (``catalogue()``, ``scenarios_for(env)``, ``get_scenario(id)``);
  listing them imports no torch.
- ``play``: ``play(game, policies, assignment, keys)``, the batched rollout with a policy per seat and row.
- ``references``: the scale of each scenario, random focal (0) and the best focal response (1), cached.
- ``evaluate``: a row per scenario for one focal policy (a registered name or a checkpoint), aggregates.
- ``crossplay``: the N x N matrix of focal returns, its files and its heatmap.
"""
from coopgym.scenarios.catalogue import KINDS, LAYOUTS, Scenario, catalogue, get_scenario, scenarios_for, select

__all__ = ["KINDS", "LAYOUTS", "Scenario", "catalogue", "get_scenario", "scenarios_for", "select"]
