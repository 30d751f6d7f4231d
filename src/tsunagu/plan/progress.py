"""How far an indicator has come toward its target: 達成 (achieved), 順調 (on track) or 遅れ
(behind), by one rule stated on every page that shows it (RULE below).

The rule is linear from the baseline to the target: an indicator whose baseline is 140 at the
end of FY2019 and whose target is 560 at the end of FY2022 is expected to be at 140 + 420 × t,
where t is the share of that time gone by on the date of its latest actual value. At or past
what is expected is 順調, short of it 遅れ; reaching the target is 達成 whenever it happens. A
target written in words (増加, 推進, 別途検討) is a qualitative target: it is shown as such,
with the latest value beside the baseline, and never judged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

STATUSES = ("achieved", "on_track", "behind", "qualitative", "no_data", "unknown")
STATUS_LABELS = {
    "achieved": "達成",
    "on_track": "順調",
    "behind": "遅れ",
    "qualitative": "定性目標",
    "no_data": "実績なし",
    "unknown": "判定できません",
}
DIRECTIONS = ("increase", "decrease", "at_most", "maintain", "qualitative")
DIRECTION_LABELS = {
    "increase": "増やす",
    "decrease": "減らす",
    "at_most": "上限以内に保つ",
    "maintain": "維持する",
    "qualitative": "定性目標",
}

RULE = (
    "判定のきまり：数値目標は、現状値（基準時点）から目標値（目標年度末）まで直線的に進むと"
    "して、最新の実績値の日付での見込み値と比べます。見込み値に届いていれば「順調」、届いて"
    "いなければ「遅れ」、目標値に届いていれば「達成」です（減らす目標は逆向き、「以内」の目標"
    "は目標値以下なら「達成」、上回れば「遅れ」、「維持」の目標は目標値以上なら「達成」）。"
    "目標年度末を過ぎて届いていなければ「遅れ」です。現状値が「－」（まだない）のときは 0 "
    "から数えます。目標が文言（増加・推進・別途検討など）のものは「定性目標」として判定せず、"
    "最新の実績を現状値と並べて示します。"
)
RULE_EN = (
    "Rule: a numeric target is expected to be reached linearly from the baseline (at its date) "
    "to the target (at the end of the target fiscal year). The latest actual value is compared "
    "with what is expected on its date: at or beyond it is on track, short of it is behind, "
    "reaching the target is achieved (reversed for decreasing targets; an at-most target is "
    "achieved while at or below it; a maintain target while at or above it). Past the target "
    "year without reaching it is behind. A baseline of '－' (none yet) counts as 0. Targets in "
    "words (increase, promote, to be decided) are qualitative: shown as such, never judged."
)


@dataclass(frozen=True)
class Point:
    date: dt.date
    value: float | None
    text: str = ""


@dataclass(frozen=True)
class Goal:
    direction: str
    baseline: float | None
    baseline_qualifier: str
    baseline_date: dt.date | None
    target: float | None
    target_qualifier: str
    target_date: dt.date | None


@dataclass(frozen=True)
class Progress:
    status: str
    latest: Point | None
    expected: float | None = None  # what the linear rule expects on the latest value's date
    percent: float | None = None  # share of the way from baseline to target, 0–100+
    reason: str = ""  # why this status, in a sentence

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    def as_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "label": self.label,
            "latest_value": self.latest.value if self.latest else None,
            "latest_text": self.latest.text if self.latest else "",
            "latest_date": self.latest.date.isoformat() if self.latest else None,
            "expected": None if self.expected is None else round(self.expected, 4),
            "percent": None if self.percent is None else round(self.percent, 1),
            "reason": self.reason,
        }


def latest_point(series: Sequence[Point]) -> Point | None:
    dated = [p for p in series if p.value is not None or p.text]
    return max(dated, key=lambda p: p.date) if dated else None


def _baseline(goal: Goal) -> float | None:
    if goal.baseline is not None:
        return goal.baseline
    # 「－」「-件」: nothing yet, so counting starts from zero.
    return 0.0 if goal.baseline_qualifier == "none" else None


def judge(goal: Goal, series: Sequence[Point]) -> Progress:
    """The status of one indicator (see the module docstring and RULE)."""
    latest = latest_point(series)
    if goal.target is None or goal.direction == "qualitative":
        reason = "目標が文言のため判定しません"
        return Progress("qualitative", latest, reason=reason)
    if latest is None:
        return Progress("no_data", None, reason="実績値がまだありません")
    numbers = [p for p in series if p.value is not None]
    if not numbers:
        return Progress("no_data", latest, reason="数値の実績値がまだありません")
    latest = max(numbers, key=lambda p: p.date)
    assert latest.value is not None
    value, target = latest.value, goal.target
    base = _baseline(goal)
    percent = None
    if base is not None and target != base:
        percent = (value - base) / (target - base) * 100
    if goal.direction == "at_most":
        if value <= target:
            return Progress("achieved", latest, percent=percent, reason="目標値以内です")
        return Progress("behind", latest, percent=percent, reason="目標値を上回っています")
    if goal.direction == "maintain":
        if value >= target:
            return Progress("achieved", latest, percent=percent, reason="目標値を保っています")
        return Progress("behind", latest, percent=percent, reason="目標値を下回っています")
    decreasing = goal.direction == "decrease"
    reached = value <= target if decreasing else value >= target
    if reached:
        return Progress("achieved", latest, percent=percent, reason="目標値に届いています")
    if goal.target_date is not None and latest.date > goal.target_date:
        return Progress("behind", latest, percent=percent, reason="目標年度を過ぎて未達成です")
    if base is None or goal.baseline_date is None or goal.target_date is None:
        return Progress(
            "unknown",
            latest,
            percent=percent,
            reason="現状値か目標年度がないため、見込み値を出せません",
        )
    expected = _expected(base, goal.baseline_date, target, goal.target_date, latest.date)
    ahead = value <= expected if decreasing else value >= expected
    if ahead:
        return Progress("on_track", latest, expected, percent, "見込み値に届いています")
    return Progress("behind", latest, expected, percent, "見込み値に届いていません")


def _expected(
    base: float, base_date: dt.date, target: float, target_date: dt.date, on: dt.date
) -> float:
    span = (target_date - base_date).days
    if span <= 0:
        return target
    share = min(max((on - base_date).days / span, 0.0), 1.0)
    return base + (target - base) * share


def trend_words(goal: Goal, latest: Point | None) -> str:
    """For a qualitative target: how the latest value compares with the baseline."""
    if latest is None or latest.value is None or goal.baseline is None:
        return ""
    if latest.value > goal.baseline:
        return "現状値より増えています"
    if latest.value < goal.baseline:
        return "現状値より減っています"
    return "現状値と同じです"
