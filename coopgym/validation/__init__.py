"""Behavioural targets (TR-3, TR-4) and case-study rubrics, computed from model output.

``targets``: the six TR-3 and six TR-4 behavioural-target suites over the
published sweep spaces (``run_targets``, ``tr3_targets``, ``tr4_targets``).
``cases``: the case-study rubrics (``run_cases``).
"""
