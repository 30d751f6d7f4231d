"""collaborators actions (being written)."""
