"""job_* actions (being written)."""
