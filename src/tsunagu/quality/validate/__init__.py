"""Validation of tabular resources: machine readability, the standard dataset's schema,
全国地方公共団体コード, coordinates and duplicates, in one streaming pass (see engine.py)."""

from tsunagu.quality.validate.engine import ValidationResult, validate_file
from tsunagu.quality.validate.plan import ValidationOptions
from tsunagu.quality.validate.rules import RULES, Rule

__all__ = ["RULES", "Rule", "ValidationOptions", "ValidationResult", "validate_file"]
