"""config actions (being written)."""
