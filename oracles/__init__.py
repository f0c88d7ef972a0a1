"""Game-theoretic oracles: the seven reference oracles as policies (``policies``), the batched
solvers they drive on the environments' own core (``solvers``, ``tr1``), nashpy matrix
cross-checks (``matrix``), Stackelberg / Nash bargaining / Shapley (``cooperative``), and
exploitability and the gap metric (``metrics``)."""
from coopgym.layout import require_same_tree

require_same_tree(__file__, "coopgym.oracles")
