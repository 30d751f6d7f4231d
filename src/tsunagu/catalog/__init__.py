"""The catalog: organisations, groups, datasets, resources, memberships and their history."""
