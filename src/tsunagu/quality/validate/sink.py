"""Where findings go: formatted only while a rule is under its cap, counted always."""

from __future__ import annotations

import re

from tsunagu.quality.findings import Finding, Report, preview
from tsunagu.quality.validate.rules import RULES

# Control characters and line breaks, shown as visible symbols (␀ ␉ ␊ …) in messages.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f]")


def show(value: object) -> str:
    text = preview(value)
    if not _INVISIBLE.search(text):
        return text
    return _INVISIBLE.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return "\u2421" if code == 0x7F else chr(0x2400 + code)


class Sink:
    """Adds findings to a Report; past a rule's cap only the count moves (no formatting)."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def emit(
        self,
        rule_id: str,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        detail: object = None,
    ) -> None:
        report = self.report
        count = report.counts.get(rule_id, 0)
        rule = RULES[rule_id]
        if count >= report.cap_per_rule:
            report.counts[rule_id] = count + 1
            return
        shown = None if value is None else show(value)
        parts = {"row": row, "column": column, "value": shown, "detail": detail}
        report.add(
            Finding(
                rule=rule_id,
                severity=rule.severity,
                message=rule.message.format(**parts),
                fix=rule.fix.format(**parts),
                row=row,
                column=column,
                value=shown,
            )
        )
