"""Plan actions; importing this package registers them all."""

from tsunagu.plan.actions import imports, indicators, plans, structure

__all__ = ["imports", "indicators", "plans", "structure"]
