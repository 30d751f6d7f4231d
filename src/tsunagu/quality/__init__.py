"""Data quality: standard dataset schemas, validation reports, 5-star rating and score,
auto-fix and the personal-data guard that runs before anything becomes public."""
