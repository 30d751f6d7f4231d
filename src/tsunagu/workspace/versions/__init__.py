"""Resource versions: each upload kept as a numbered version, downloadable, with a summary of
what changed in its table (service.py, changes.py; actions in actions.py)."""
