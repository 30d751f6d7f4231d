"""Reaching other servers: one guarded HTTP client for every capability that fetches a URL."""
