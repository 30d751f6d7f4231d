"""Harvesting other catalogs (CKAN, DCAT, オープンデータ一覧) into organisations of this one.

- ``protocol.py``: what a harvester is (gather records with a stable key; turn one into a
  package) and what the engine offers it (a guarded fetch, the records known before, limits).
- ``harvesters/``: one module per source kind, registered by kind.
- ``models.py``: sources, the record ↔ dataset map, the per-job history and every error.
- ``engine.py``: one job: gather → compare → create/update/withdraw, an error per bad record.
- ``worker.py`` / ``schedule.py``: jobs in the ``job`` table (kind "harvest"), sources run
  on their schedule, a killed process's job taken up again.
- ``actions.py``: harvest_source_*, harvest_run, harvest_job_* (names as in ckanext-harvest).
"""
