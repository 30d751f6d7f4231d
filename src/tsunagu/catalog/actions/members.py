"""members actions (being written)."""
