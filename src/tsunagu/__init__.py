"""Tsunagu (つなぐ): a CKAN-compatible open data catalog for Japanese prefectures and municipalities."""

__version__ = "0.1.0"
