"""metric_list, metric_show, metric_series, metric_snapshot_run; coverage_matrix_show,
organization_scorecard_list and organization_scorecard_show.

Metrics and dashboards count public data, so anyone may read them; storing a snapshot is for
sysadmins (the daily job does it on its own). Private and draft counts on the scorecard are given
only for the organisations whose datasets the caller may see.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from tsunagu.catalog import authz
from tsunagu.catalog.lookup import require_id
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError
from tsunagu.metrics import coverage, job, scorecard, snapshots
from tsunagu.metrics.registry import KINDS, Metric, check_params, metrics, require_metric
from tsunagu.registry import action

log = logging.getLogger(__name__)

# What metric_show says when a metric cannot give its value now (its source fails, or it gives
# something that is not a number): the stored history is still shown.
NOT_COMPUTED = (
    "この指標は今は計算できません。保存済みの値は表示しています"
    " (This metric could not be computed now; its stored values are shown)"
)

# The longest series metric_series gives at once (about twenty years of days).
MAX_DAYS = 7400


def _metric(context: Context, data: dict[str, Any]) -> Metric:
    key = data.get("key", data.get("id"))
    if key in (None, ""):
        raise ValidationError({"key": ["必須項目です (Missing value)"]})
    found = require_metric(key)
    if found.counts_private and not context.is_sysadmin:
        raise NotAuthorized()
    return found


def _params(context: Context, found: Metric, data: dict[str, Any]) -> dict[str, Any]:
    """``params`` as a JSON object (or its text), or the declared names as plain fields
    (``?key=datasets_public&kind=municipality``)."""
    given = data.get("params")
    if given in (None, ""):
        given = {p.name: data[p.name] for p in found.params if p.name in data}
    return check_params(context, found, given)


def _date(data: dict[str, Any], name: str) -> dt.date | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValidationError(
            {name: ["日付は YYYY-MM-DD で指定してください (Invalid date)"]}
        ) from None


def _point(point: snapshots.Point | None) -> dict[str, Any] | None:
    if point is None:
        return None
    return {"date": point.date.isoformat(), "value": point.value}


@action("metric_list")
def metric_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every metric an indicator can be bound to: key, label, unit, description and the
    parameters it takes (name, label, type, required, default, choices)."""
    shown = [m for m in metrics() if context.is_sysadmin or not m.counts_private]
    return [m.describe() for m in shown]


@action("metric_show")
def metric_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A metric's value now, computed from the catalog, and its newest stored snapshot.

    :param key: the metric's key (metric_list)
    :param params: its parameters as a JSON object, or each as a field of its own
    :returns: the description, ``params``, ``date``, ``value`` (null when there is no figure
        today), ``value_error`` (null, or why the value could not be computed now) and
        ``latest_snapshot``
    """
    found = _metric(context, data)
    params = _params(context, found, data)
    system = Context(services=context.services, session=context.session)
    value, value_error = None, None
    try:
        value = found.measure(system, params)
    except Exception:
        log.exception("metric %s %s could not be computed", found.key, params)
        value_error = NOT_COMPUTED
    key = snapshots.series_key(found.key, params)
    latest = snapshots.latest_values(context.session, [key]).get(key)
    return {
        **found.describe(),
        "params": params,
        "date": snapshots.today().isoformat(),
        "value": value,
        "value_error": value_error,
        "latest_snapshot": _point(latest),
    }


@action("metric_series")
def metric_series(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A metric's stored history: one point a day from its first snapshot (or ``since``) to
    today (or ``until``). A day without a value is given with ``value`` null and ``no_data``
    true, whether the job wrote it as a missed day or has not run for it yet.

    :param key, params: as metric_show
    :param since, until: YYYY-MM-DD (optional)
    """
    found = _metric(context, data)
    params = _params(context, found, data)
    since, until = _date(data, "since"), _date(data, "until")
    today = snapshots.today()
    until = min(until or today, today)
    key = snapshots.series_key(found.key, params)
    stored = snapshots.read_series(context.session, [key], since, until)[key]
    tracked = key in {s.key for s in snapshots.tracked_series(context)}
    out = {**found.describe(), "params": params, "tracked": tracked, "points": []}
    if not stored:
        return out
    start = since or stored[0].date
    if (until - start).days > MAX_DAYS:
        raise ValidationError(
            {"since": [f"一度に取り出せるのは {MAX_DAYS} 日までです (Range too long)"]}
        )
    by_day = {p.date: p.value for p in stored}
    points = []
    day = start
    while day <= until:
        value = by_day.get(day)
        points.append({"date": day.isoformat(), "value": value, "no_data": value is None})
        day += dt.timedelta(days=1)
    out["points"] = points
    return out


@action("metric_snapshot_run", write=True)
def metric_snapshot_run(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Store today's snapshot now (sysadmins; the app and ``tsunagu metrics snapshot`` do it
    on their own). A run again the same day measures the day's values again: one row per series
    and day whatever happens, past days untouched.

    :returns: ``status`` complete / running (another process is storing the day) / error,
        ``written`` (series given the day's first value), ``updated`` (series measured again),
        ``no_data`` (missed days written as such), ``failed``
    """
    authz.require_sysadmin(context)
    return job.run_day(context.services)


@action("coverage_matrix_show")
def coverage_matrix_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Municipalities × 自治体標準オープンデータセット: in each cell the public datasets of
    the municipality that follow the standard dataset (declared or found by a file's check)."""
    matrix = coverage.coverage_matrix(context)
    return coverage.matrix_dict(matrix, context.settings.site_url)


def _kind(data: dict[str, Any]) -> str:
    kind = data.get("kind") or "all"
    if kind not in KINDS:
        raise ValidationError(
            {"kind": [f"kind は {' / '.join(KINDS)} のいずれかです (Invalid value)"]}
        )
    return str(kind)


def scorecard_answer(context: Context, cards: list[scorecard.Card]) -> dict[str, Any]:
    return {
        "metric_columns": scorecard.metric_columns(),
        "stars_labels": scorecard.star_labels(),
        "organizations": [scorecard.card_dict(c, context.settings.site_url) for c in cards],
    }


@action("organization_scorecard_list")
def organization_scorecard_list(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The scorecard of every active organisation (``kind`` all / prefecture / municipality):
    datasets (public; private and draft where the caller may see them), quality (mean score,
    ★ distribution over public datasets), freshness (overdue) and the scorecard metrics."""
    return scorecard_answer(context, scorecard.scorecards(context, _kind(data)))


@action("organization_scorecard_show")
def organization_scorecard_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One organisation's scorecard (``id``: its id or name)."""
    cards = scorecard.scorecards(context, "all", require_id(data))
    if not cards:
        raise NotFound(f"組織が見つかりません: {data['id']} (Organization not found)")
    answer = scorecard_answer(context, cards)
    return {**answer.pop("organizations")[0], **answer}
