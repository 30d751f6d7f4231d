"""bulk actions (being written)."""
