"""CKAN-named catalog actions, split by what they act on."""
