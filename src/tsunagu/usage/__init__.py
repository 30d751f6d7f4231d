"""Usage counts: how often each dataset is viewed and downloaded."""
