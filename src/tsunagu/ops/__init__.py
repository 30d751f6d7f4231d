"""Running Tsunagu in production: health checks, Prometheus metrics, JSON logs, backups."""
