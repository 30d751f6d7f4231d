"""Display helpers for the quality capability: facet labels and standard dataset names."""

from __future__ import annotations

from functools import cache

from tsunagu.quality.standards import list_standards


@cache
def standard_titles() -> dict[str, str]:
    """Standard dataset id → 「03 指定緊急避難場所」."""
    return {s.id: f"{s.number} {s.title}" for s in list_standards()}


def facet_label(field: str, value: str, display_name: str) -> str:
    if field == "quality_stars":
        stars = int(value) if value.isdigit() else 0
        return "★" * stars if stars else "☆ 0"
    if field == "quality_standard":
        return standard_titles().get(value, display_name)
    return display_name
