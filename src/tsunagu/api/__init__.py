"""HTTP layer: the CKAN Action API and file downloads, thin over the action registry."""
