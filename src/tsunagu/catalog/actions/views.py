"""views actions (being written)."""
