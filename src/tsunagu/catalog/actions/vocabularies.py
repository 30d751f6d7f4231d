"""vocabularies actions (being written)."""
