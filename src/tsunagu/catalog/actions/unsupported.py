"""unsupported actions (being written)."""
