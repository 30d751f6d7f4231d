"""The datastore: messy public-sector tables turned into typed, queryable tables."""
