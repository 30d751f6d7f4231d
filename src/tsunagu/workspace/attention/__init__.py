"""要対応 (needs attention): the staff home's list of what to fix, built from sources that each
capability contributes (see registry.py); actions in actions.py, per-organisation minimums in
models.py/thresholds.py."""
