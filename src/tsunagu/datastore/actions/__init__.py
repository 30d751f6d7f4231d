"""datastore_* actions, CKAN-compatible, plus ingest status and re-run."""
