"""follow_* actions (being written)."""
