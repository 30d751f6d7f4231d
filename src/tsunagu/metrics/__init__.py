"""Live catalog metrics (issue 12): a registry of named figures computed from the catalog
(registry.py), their daily snapshots kept as real history (snapshots.py, job.py), and the
dashboards built on them: the coverage matrix and the organisation scorecard."""
