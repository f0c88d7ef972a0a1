"""Game-theoretic oracles: the seven reference oracles as policies (``policies``), the batched
solvers they drive on the environments' own core (``solvers``, ``tr1``), nashpy matrix
cross-checks (``matrix``), Stackelberg / Nash bargaining / Shapley (``cooperative``), and
exploitability and the gap metric (``metrics``)."""
