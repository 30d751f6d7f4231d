"""The organisation scorecard: per organisation, its datasets (public, private, draft), their
quality (mean score, ★ distribution), freshness (overdue against ``next_update_due``) and the
metrics capabilities mark for it (downloads, data requests answered …).

Counts come from the search index: one facet on owner_org per figure over the whole catalog,
plus one query per organisation for its score and ★ distribution. Quality and freshness are
over public datasets, as the public sees them; private and draft counts are given only for the
organisations whose datasets the caller may see (members, sysadmins), None otherwise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from tsunagu.catalog import authz
from tsunagu.catalog.models import Organization
from tsunagu.context import Context
from tsunagu.metrics.catalog import KIND_FQ
from tsunagu.metrics.registry import Metric, breakdown, metric_number, metrics
from tsunagu.quality.rating import STAR_LABELS
from tsunagu.search.interface import SearchQuery, Visibility
from tsunagu.storage.types import utcnow

log = logging.getLogger(__name__)

STARS = tuple(range(6))
# Organisations in this order: the prefecture, its departments, municipalities, others.
_KIND_ORDER = {"prefecture": 0, "prefectural_department": 1, "municipality": 2}
KIND_LABELS = {
    "prefecture": "県",
    "prefectural_department": "県の部局",
    "municipality": "市区町村",
    "other": "その他",
}


@dataclass
class Card:
    organization: Organization
    public: int = 0
    private: int | None = None  # None: the caller may not see this organisation's
    draft: int | None = None
    score_mean: float | None = None  # None: no public dataset
    stars: dict[int, int] = field(default_factory=lambda: dict.fromkeys(STARS, 0))
    scheduled: int = 0  # public datasets with an update schedule (next_update_due)
    overdue: int = 0
    metrics: dict[str, float | None] = field(default_factory=dict)


def scorecard_metrics() -> list[Metric]:
    return [m for m in metrics() if m.scorecard]


def organizations(
    context: Context, kind: str = "all", name: str | None = None
) -> list[Organization]:
    query = select(Organization).where(Organization.state == "active")
    if kind == "prefecture":
        query = query.where(Organization.kind.in_(("prefecture", "prefectural_department")))
    elif kind == "municipality":
        query = query.where(Organization.kind == "municipality")
    if name is not None:
        query = query.where((Organization.name == name) | (Organization.id == name))
    found = list(context.session.scalars(query))
    return sorted(
        found, key=lambda o: (_KIND_ORDER.get(o.kind, 9), o.local_gov_code or "~", o.name)
    )


def _facet(context: Context, fq: list[str], visibility: Visibility | None = None) -> dict[str, int]:
    result = context.services.search.search(
        SearchQuery(
            fq=" AND ".join(f"({part})" for part in fq),
            rows=0,
            facet_fields=["owner_org"],
            facet_limit=-1,
            visibility=visibility or Visibility(),
        )
    )
    return dict(result.facets.get("owner_org", {}))


def _quality(context: Context, card: Card) -> None:
    result = context.services.search.search(
        SearchQuery(
            fq=f'owner_org:"{card.organization.id}"',
            rows=0,
            facet_fields=["quality_score", "quality_stars"],
            facet_limit=-1,
        )
    )
    scores = result.facets.get("quality_score", {})
    total = sum(scores.values())
    if total:
        card.score_mean = round(sum(int(v) * n for v, n in scores.items()) / total, 1)
    for value, n in result.facets.get("quality_stars", {}).items():
        card.stars[int(value)] = n


def scorecards(context: Context, kind: str = "all", name: str | None = None) -> list[Card]:
    """The cards of the active organisations of ``kind`` (or the one named)."""
    search = context.services.search
    search.refresh(context.session)
    orgs = organizations(context, kind, name)
    scope = [KIND_FQ[kind]] if kind in KIND_FQ else []
    public = _facet(context, scope)
    everything = Visibility(all_private=True, include_drafts=True)
    private = _facet(context, [*scope, "capacity:private", "state:active"], everything)
    drafts = _facet(context, [*scope, "state:draft"], everything)
    # As the 要対応 list counts it: overdue from the due date on (naive UTC now).
    overdue = _facet(context, [*scope, f"next_update_due:[* TO {utcnow().isoformat()}]"])
    scheduled = _facet(context, [*scope, "next_update_due:[* TO *]"])
    extra = scorecard_metrics()
    members_of = authz.member_organization_ids(context)  # one query, not one per organisation
    cards = []
    for org in orgs:
        card = Card(
            organization=org,
            public=public.get(org.id, 0),
            overdue=overdue.get(org.id, 0),
            scheduled=scheduled.get(org.id, 0),
        )
        if context.is_sysadmin or org.id in members_of:
            card.private = private.get(org.id, 0)
            card.draft = drafts.get(org.id, 0)
        if card.public:
            _quality(context, card)
        cards.append(card)
    for found in extra:
        try:
            # In a savepoint: on PostgreSQL a failed statement would abort the request's
            # transaction, and with it the rest of the scorecard.
            with context.session.begin_nested():
                _metric_column(context, found, cards)
        except Exception:
            # Another capability's faulty metric leaves its column empty, not the scorecard
            # failing as a whole.
            log.exception("scorecard metric %s could not be computed", found.key)
            for card in cards:
                card.metrics[found.key] = None
    return cards


def _metric_column(context: Context, found: Metric, cards: list[Card]) -> None:
    """A scorecard metric for every card: at once when the metric has a per-organisation
    form, else once per organisation."""
    defaults = {p.name: p.default for p in found.params if p.default is not None}
    at_once = breakdown(found.key)
    if at_once is not None and len(cards) > 1:
        values = at_once(context, dict(defaults))
        for card in cards:
            card.metrics[found.key] = metric_number(values.get(card.organization.id, 0.0))
        return
    for card in cards:
        value = found.compute(context, {**defaults, "organization": card.organization.id})
        card.metrics[found.key] = metric_number(value)


def card_dict(card: Card, site_url: str) -> dict[str, Any]:
    org = card.organization
    return {
        "id": org.id,
        "name": org.name,
        "title": org.title,
        "kind": org.kind,
        "local_gov_code": org.local_gov_code,
        "url": f"{site_url}/organization/{org.name}",
        "datasets": {"public": card.public, "private": card.private, "draft": card.draft},
        "quality": {
            "score_mean": card.score_mean,
            "stars": {str(s): card.stars[s] for s in STARS},
        },
        "freshness": {"scheduled": card.scheduled, "overdue": card.overdue},
        "metrics": dict(card.metrics),
    }


def metric_columns() -> list[dict[str, str]]:
    return [{"key": m.key, "label": m.label, "unit": m.unit} for m in scorecard_metrics()]


def star_labels() -> dict[str, str]:
    return {str(s): STAR_LABELS[s] for s in STARS}


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def csv_rows(cards: list[Card]) -> list[list[str]]:
    columns = scorecard_metrics()
    header = [
        "組織",
        "組織名（URL）",
        "種類",
        "団体コード",
        "公開データセット数",
        "非公開データセット数",
        "下書き数",
        "平均品質スコア",
        *(f"★{s}" for s in STARS),
        "更新予定のあるデータセット数",
        "更新が遅れているデータセット数",
        *(f"{m.label}（{m.unit}）" for m in columns),
    ]
    lines = [header]
    for card in cards:
        org = card.organization
        lines.append(
            [
                org.title or org.name,
                org.name,
                KIND_LABELS.get(org.kind, org.kind),
                org.local_gov_code or "",
                str(card.public),
                _number(card.private),
                _number(card.draft),
                _number(card.score_mean),
                *(str(card.stars[s]) for s in STARS),
                str(card.scheduled),
                str(card.overdue),
                *(_number(card.metrics.get(m.key)) for m in columns),
            ]
        )
    return lines
