"""The 16 learning algorithms; each registers itself in the policy registry."""
