"""Behavioural targets (TR-2, TR-3, TR-4), case-study rubrics and the reproducibility report, from model output.

``targets``: the TR-3 and TR-4 targets of SPEC's experiments (the spec protocol) and the TR-4
visibility-threshold sensitivity. ``reference``: the reference code's own TR-3 and TR-4
experiments on the same mechanism functions (the reference protocol). ``trust_sweep``: the
TR-2 suite's trust experiments. ``cases``: the case-study rubrics, SPEC's and the reference's.
``repro``: docs/reproducibility.md's tables (``coopgym validate all``).
"""
