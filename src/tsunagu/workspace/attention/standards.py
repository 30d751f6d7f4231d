"""The 自治体標準オープンデータセット a municipality does not publish yet (the coverage idea of
the plan): for each municipality of the scope, each standard dataset no public dataset of its
own follows, declared (``standard_id``) or found by a file's check (``quality_standard``).

One index query per standard dataset (a facet on owner_org gives every municipality covering
it at once), so the cost does not grow with the number of datasets. A listed gap links to the
new-dataset form filled in for that standard, or to the organisation's draft or private dataset
that already follows it (publishing that closes the gap)."""

from __future__ import annotations

from urllib.parse import urlencode

from tsunagu.quality.standards import Standard, list_standards
from tsunagu.workspace.attention import index
from tsunagu.workspace.attention.registry import attention_source
from tsunagu.workspace.attention.scope import Item, Line, OrganizationRef, Scope

MESSAGE = "自治体標準オープンデータセット「{standard}」をまだ公開していません。"
MESSAGE_UNPUBLISHED = (
    "自治体標準オープンデータセット「{standard}」に沿った「{dataset}」が下書きか非公開のままです。"
)


def _follows(standard: Standard) -> str:
    return f'standard_id:"{standard.id}" OR quality_standard:"{standard.id}"'


def _item(scope: Scope, org: OrganizationRef, standard: Standard) -> Item:
    label = f"{standard.number} {standard.title}"
    started = index.search(
        scope,
        [f'owner_org:"{org.id}"', _follows(standard)],
        sort="metadata_modified desc",
        rows=1,
        facet=False,
    ).results
    if started:
        package = started[0]
        return Item(
            title=label,
            message=MESSAGE_UNPUBLISHED,
            params={"standard": label, "dataset": package.get("title") or package["name"]},
            link=index.staff_page(package, "publish-heading"),
            organization=org.name,
            dataset=package["name"],
            dataset_id=package["id"],
        )
    form = urlencode(
        {"owner_org": org.name, "standard_id": standard.id, "title": f"{standard.title}"}
    )
    return Item(
        title=label,
        message=MESSAGE,
        params={"standard": label},
        link=f"/staff/dataset/new?{form}",
        organization=org.name,
    )


@attention_source(
    "missing_standards",
    label="未公開の自治体標準オープンデータセット",
    order=70,
    messages=(MESSAGE, MESSAGE_UNPUBLISHED),
)
def missing_standards(scope: Scope) -> Line | None:
    municipalities = sorted(
        (o for o in scope.organizations.values() if o.kind == "municipality"),
        key=lambda o: (o.local_gov_code or "", o.name),
    )
    if not municipalities:
        return None
    standards = list_standards()
    missing: list[tuple[OrganizationRef, Standard]] = []
    gaps: dict[str, set[str]] = {}
    for standard in standards:
        covered = index.search(
            scope,
            [_follows(standard), "state:active", "capacity:public"],
            sort="metadata_modified desc",
            rows=0,
        ).by_owner
        gaps[standard.id] = {o.id for o in municipalities if not covered.get(o.id)}
    for org in municipalities:
        missing += [(org, s) for s in standards if org.id in gaps[s.id]]
    by_owner: dict[str, int] = {}
    for org, _standard in missing:
        by_owner[org.id] = by_owner.get(org.id, 0) + 1
    return Line(
        count=len(missing),
        items=[_item(scope, org, standard) for org, standard in missing[: scope.limit]],
        by_organization=scope.by_name(by_owner),
    )
