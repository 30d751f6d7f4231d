"""The catalog search on PostgreSQL (issue 14): one index shared by every app host
(backend.PostgresSearch)."""
