"""Embedded full-text search for the catalog."""
