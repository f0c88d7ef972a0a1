"""Text rendering shared by the adapters."""
from __future__ import annotations

import numpy as np


def render_ansi(game, state, result=None, row: int = 0) -> str:
    """A few lines: step, each agent's action, payoff and reward, and the trust matrix."""
    names = game.spec.agent_names or tuple(f"player_{i}" for i in range(game.n))
    lines = [f"{game.spec.id}  t={int(state.t[row])}/{game.horizon}"]
    for i, name in enumerate(names[: game.n]):
        line = f"  {name:>12}: a={state.last_action[row, i]:7.2f} / {game.e[i]:g}"
        if result is not None:
            line += f"  payoff={result.payoffs[row, i]:9.3f}  reward={result.rewards[row, i]:9.3f}"
        lines.append(line)
    if state.T is not None:
        lines.append("  trust T[i, j]:")
        lines += ["    " + " ".join(f"{v:5.2f}" for v in row_) for row_ in np.asarray(state.T[row])]
    return "\n".join(lines) + "\n"
