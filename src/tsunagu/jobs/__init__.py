"""Background jobs of every kind (quality checks, harvests, mail), listed and cancelled by job_*.

Ingest keeps its own richer table (datastore.models.IngestJob); job_* shows both."""
