"""Following datasets, organisations, groups and users, and the e-mail digest of their changes."""
