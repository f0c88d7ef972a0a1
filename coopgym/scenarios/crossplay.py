"""Cross-play: every pair of policies, one in the focal seats, the other everywhere else.

``matrix[i][j]`` is the focal per-capita return of policy i in the focal seats
(default seat 0) when policy j plays every other seat; ``partner[i][j]`` is the
per-capita return of j's seats in the same games. The diagonal is self-play
(policy i in every seat). Every pair plays the same games (seed rule of the
scenarios), all N x N pairs in one batch. A trained checkpoint plays a seat with
its own network for that seat.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Sequence

import numpy as np

from coopgym.envs import make_game
from coopgym.policy import Policy
from coopgym.scenarios.catalogue import evaluation_keys
from coopgym.scenarios.evaluate import check_compatible, load_policy
from coopgym.scenarios.play import play


def crossplay(env: str, policies: Sequence[str], *, focal: Sequence[int] = (0,), reward: str = "private",
              episodes: int = 8, seed: int = 0, players: Sequence[Policy] | None = None) -> dict:
    """The N x N cross-play matrices of ``policies`` (registered names or checkpoint paths) on ``env``.

    ``players``: ready policies for ``policies`` (then the names are only labels)."""
    if len(policies) < 2 or len(set(policies)) != len(policies):
        raise ValueError(f"cross-play needs at least two distinct policies, got {list(policies)}")
    game = make_game(env, reward=reward)
    focal = sorted({int(i) for i in focal})
    others = [i for i in range(game.n) if i not in focal]
    if not focal or focal[0] < 0 or focal[-1] >= game.n or not others:
        raise ValueError(f"focal seats must be some but not all of 0..{game.n - 1} on {game.spec.id}, got {focal}")
    players = list(players) if players is not None else [load_policy(p) for p in policies]
    for p in players:
        check_compatible(p, game)
    N = len(players)
    base = evaluation_keys(seed, episodes)
    keys = np.tile(base, N * N)                                  # row (i * N + j) * E + e
    pair = np.repeat(np.arange(N * N), episodes)
    assignment = np.empty((keys.shape[0], game.n), dtype=np.int64)
    assignment[:, focal] = (pair // N)[:, None]
    assignment[:, others] = (pair % N)[:, None]
    played = play(game, players, assignment, keys)
    shape = (N, N, episodes)
    mean = lambda x: x.reshape(shape).mean(axis=2).tolist()     # noqa: E731
    return {"env": game.spec.id, "reward": reward, "focal_seats": focal, "other_seats": others,
            "policies": list(policies), "episodes": episodes, "seed": seed,
            "matrix": mean(played.per_capita(focal)), "partner": mean(played.per_capita(others)),
            "welfare": mean(played.welfare()),
            "meaning": f"matrix[i][j]: per-capita return of policy i in seats {focal} while policy j plays seats "
                       f"{others}; the diagonal is self-play"}


def write(result: dict, path: str | Path) -> Path:
    """Write a cross-play result as JSON (``.json``) or a long CSV (``.csv``: row, column, returns)."""
    path = Path(path)
    if path.suffix == ".json":
        path.write_text(json.dumps(result, indent=1))
    elif path.suffix == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["row_policy", "column_policy", "focal_return", "partner_return", "welfare"])
        names = result["policies"]
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                w.writerow([a, b, result["matrix"][i][j], result["partner"][i][j], result["welfare"][i][j]])
        path.write_text(buf.getvalue())
    else:
        raise ValueError(f"--out must end in .json or .csv, got {path.name!r}")
    return path


def read(path: str | Path) -> dict:
    """A cross-play result written by ``write`` (JSON or CSV)."""
    path = Path(path)
    if path.suffix == ".json":
        return json.loads(path.read_text())
    if path.suffix != ".csv":
        raise ValueError(f"a cross-play file ends in .json or .csv, got {path.name!r}")
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    names = list(dict.fromkeys(r["row_policy"] for r in rows))
    at = {(r["row_policy"], r["column_policy"]): r for r in rows}
    grid = lambda key: [[float(at[a, b][key]) for b in names] for a in names]   # noqa: E731
    return {"policies": names, "matrix": grid("focal_return"), "partner": grid("partner_return"),
            "welfare": grid("welfare")}


def draw_heatmap(result: dict | str | Path, ax=None):
    """The cross-play matrix as an annotated heatmap (rows: focal policy, columns: the others); returns the figure."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if not isinstance(result, dict):
        result = read(result)
    names, M = result["policies"], np.asarray(result["matrix"], dtype=float)
    if ax is None:
        size = 1.2 + 0.9 * len(names)
        fig, ax = plt.subplots(figsize=(size + 1.5, size), layout="constrained")
    else:
        fig = ax.figure
    image = ax.imshow(M, cmap="viridis")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("policy in the other seats")
    ax.set_ylabel(f"policy in focal seats {result.get('focal_seats', '')}")
    mid = (np.nanmin(M) + np.nanmax(M)) / 2
    for i in range(M.shape[0]):
        for j in range(M.shape[1]):
            ax.text(j, i, f"{M[i, j]:,.0f}" if abs(M[i, j]) >= 1000 else f"{M[i, j]:.3g}", ha="center", va="center", fontsize=8,
                    color="black" if M[i, j] > mid else "white")
    fig.colorbar(image, ax=ax, label="focal per-capita return")
    if "env" in result:
        ax.set_title(f"cross-play on {result['env']} ({result.get('reward', '')} reward)")
    return fig
