"""Page handlers, thin over the same actions the API calls."""
