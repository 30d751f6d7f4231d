"""Dashboards (/dashboard/…): the coverage matrix and the organisation scorecard, each as a
page, JSON (the action's answer) and CSV (UTF-8 with BOM, so Excel opens it in Japanese).

The pages draw their charts from the tables beside them (static/js/dashboard-charts.js reads
the table cells), so what a chart shows is exactly what its accessible table says.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tsunagu.errors import NotFound, ValidationError
from tsunagu.metrics import coverage, scorecard
from tsunagu.metrics.registry import KINDS, metrics
from tsunagu.web.session import act, page_context
from tsunagu.web.templating import render

KIND_LABELS = dict(KINDS)


def label_ids() -> set[str]:
    """Texts the dashboards translate with ``_(…)`` that templates do not spell out: the
    metric labels and units, the organisation kinds and the ★ labels
    (scripts/extract_messages.py)."""
    ids = set(KIND_LABELS.values()) | set(scorecard.KIND_LABELS.values())
    for found in metrics():
        ids.update((found.label, found.unit))
    ids.update(scorecard.star_labels().values())
    return ids


def _csv(lines: list[list[str]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(lines)
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _json(answer: Any) -> Response:
    return JSONResponse(answer, headers={"Access-Control-Allow-Origin": "*"})


def index(request: Request) -> Response:
    return render(request, "dashboard/index.html")


# -- coverage matrix ---------------------------------------------------------------------------


def coverage_page(request: Request) -> Response:
    matrix = act(request, "coverage_matrix_show")
    return render(request, "dashboard/coverage.html", matrix=matrix)


def coverage_json(request: Request) -> Response:
    return _json(act(request, "coverage_matrix_show"))


def coverage_csv(request: Request) -> Response:
    with page_context(request) as context:
        lines = coverage.matrix_csv_rows(coverage.coverage_matrix(context))
    return _csv(lines, "coverage.csv")


# -- organisation scorecard --------------------------------------------------------------------


def _kind(request: Request) -> str:
    kind = request.query_params.get("kind") or "all"
    return kind if kind in KINDS else "all"


def organizations_page(request: Request) -> Response:
    kind = _kind(request)
    answer = act(request, "organization_scorecard_list", {"kind": kind})
    return render(
        request,
        "dashboard/organizations.html",
        answer=answer,
        kind=kind,
        kinds=KIND_LABELS,
        kind_labels=scorecard.KIND_LABELS,
    )


def organizations_json(request: Request) -> Response:
    return _json(act(request, "organization_scorecard_list", {"kind": _kind(request)}))


def organizations_csv(request: Request) -> Response:
    with page_context(request) as context:
        lines = scorecard.csv_rows(scorecard.scorecards(context, _kind(request)))
    return _csv(lines, "organizations.csv")


def _one(request: Request) -> dict[str, Any] | None:
    try:
        return dict(
            act(request, "organization_scorecard_show", {"id": request.path_params["name"]})
        )
    except (NotFound, ValidationError):
        return None


def organization_page(request: Request) -> Response:
    card = _one(request)
    if card is None:
        return render(request, "not_found.html", status_code=404)
    return render(request, "dashboard/organization.html", card=card, kinds=scorecard.KIND_LABELS)


def organization_json(request: Request) -> Response:
    card = _one(request)
    if card is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return _json(card)


def organization_csv(request: Request) -> Response:
    name = request.path_params["name"]
    with page_context(request) as context:
        cards = scorecard.scorecards(context, "all", name)
        if not cards:
            return Response("not found", status_code=404, media_type="text/plain")
        lines = scorecard.csv_rows(cards)
    return _csv(lines, f"organization-{cards[0].organization.name}.csv")
