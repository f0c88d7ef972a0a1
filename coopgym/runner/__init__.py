"""Run plans, execution backends and the run ledger."""
