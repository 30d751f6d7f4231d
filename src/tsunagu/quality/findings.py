"""Findings and the capped report every quality check writes into.

A finding says what is wrong, where, and how to fix it, in plain Japanese for municipal staff.
Reports count every finding but list only the first `cap_per_rule` of each rule, so a
million-row file with one systematic mistake yields a readable report and an exact count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
VALUE_PREVIEW_CHARS = 100


@dataclass(slots=True)
class Finding:
    rule: str  # dotted id, e.g. "schema.missing_column", "machine.platform_dependent_char"
    severity: Severity
    message: str  # what is wrong, plain Japanese
    fix: str = ""  # how to fix it, plain Japanese
    row: int | None = None  # 1-based line (CSV) or row (spreadsheet) in the source file
    column: str | None = None  # column name as written in the file
    value: str | None = None  # the offending cell text, shortened

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def preview(value: object) -> str:
    text = str(value)
    if len(text) > VALUE_PREVIEW_CHARS:
        return text[: VALUE_PREVIEW_CHARS - 1] + "…"
    return text


class Report:
    """Findings of one run: every finding counted, the first `cap_per_rule` of each kept."""

    def __init__(self, cap_per_rule: int = 100) -> None:
        self.cap_per_rule = cap_per_rule
        self.findings: list[Finding] = []
        self.counts: dict[str, int] = {}
        self.severity_of: dict[str, Severity] = {}

    def add(self, finding: Finding) -> None:
        count = self.counts.get(finding.rule, 0) + 1
        self.counts[finding.rule] = count
        self.severity_of.setdefault(finding.rule, finding.severity)
        if count <= self.cap_per_rule:
            self.findings.append(finding)

    def extend(self, other: Report) -> None:
        """Merge another report (e.g. a rule run separately), keeping the caps and counts."""
        for finding in other.findings:
            if self.counts.get(finding.rule, 0) < self.cap_per_rule:
                self.findings.append(finding)
        for rule, count in other.counts.items():
            self.counts[rule] = self.counts.get(rule, 0) + count
            self.severity_of.setdefault(rule, other.severity_of[rule])

    def total(self, severity: Severity) -> int:
        return sum(n for rule, n in self.counts.items() if self.severity_of[rule] == severity)

    @property
    def truncated(self) -> bool:
        return any(n > self.cap_per_rule for n in self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": {s: self.total(s) for s in SEVERITIES},
            "rules": {
                rule: {
                    "severity": self.severity_of[rule],
                    "count": count,
                    "listed": min(count, self.cap_per_rule),
                }
                for rule, count in sorted(self.counts.items())
            },
            "findings": [f.to_dict() for f in self.findings],
            "truncated": self.truncated,
        }
