"""purge actions (being written)."""
