"""The learning algorithms (``coopgym.baselines.learners``), one module each.

Every policy, the learners included, is registered by name in ``coopgym.registry``
(``make_policy``, ``policy_names``, ``REGISTRY``); a learner's module is imported
the first time one is made.
"""
from coopgym.layout import require_same_tree

require_same_tree(__file__, "coopgym.baselines")
