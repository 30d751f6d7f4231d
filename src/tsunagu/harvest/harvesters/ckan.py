"""Any CKAN site (2.x, and Tsunagu itself) through its Action API.

Gathering, as ckanext-harvest does and with its guards (see docs/api.md and federation.md
§1.1, §2):

- **Full**: ``package_search`` pages (``rows``/``start``, ``sort=id asc``); ids already seen are
  dropped (datasets added while paging shift the pages), and a page bringing nothing new ends
  the paging (a server that ignores ``start`` or loops back) with a warning. ``start`` moves by
  what the page held, so a server capping ``rows`` lower than asked loses nothing. A full pass
  that ended normally lists every key (deletion detection for free).
- **Incremental**: the same search with ``fq=metadata_modified:[<since> TO *]``, since being
  the last good job's start minus an hour's overlap (jobs.OVERLAP).
- **Deletions**: periodically (``id_check_hours``) ``package_list`` is compared with the names
  harvested before; a record whose name is not listed is asked for by its id (renamed, made
  private, moved out of the filters, or really gone), so a rename never withdraws anything.
- Filters: ``organizations_filter_include``/``_exclude`` (remote organisation names, as in
  ckanext-harvest) and ``tags_filter_include``/``_exclude``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, cast
from urllib.parse import quote

import orjson

from tsunagu.harvest.harvesters import register
from tsunagu.harvest.protocol import (
    PackageDraft,
    Record,
    RecordError,
    RecordProblem,
    ResourceDraft,
    Run,
    SourceError,
)

_LIST_KEYS = (
    "organizations_filter_include",
    "organizations_filter_exclude",
    "tags_filter_include",
    "tags_filter_exclude",
)
_SORTS = ("id asc", "metadata_created asc, name asc")
DEFAULT_ROWS = 100
# Keys of a CKAN (or Tsunagu) package dict that are not the publisher's own extra fields.
_NOT_EXTRAS = {
    "author", "author_email", "creator_user_id", "extras", "groups", "id", "isopen",
    "license_id", "license_title", "license_url", "maintainer", "maintainer_email",
    "metadata_created", "metadata_modified", "name", "notes", "num_resources", "num_tags",
    "organization", "owner_org", "private", "relationships_as_object",
    "relationships_as_subject", "resources", "revision_id", "revision_timestamp", "state",
    "tags", "title", "tracking_summary", "type", "url", "version",
    # Tsunagu's fields, taken as fields (or derived from them)
    "frequency", "frequency_label", "frequency_uri", "frequency_unmapped", "spatial",
    "spatial_codes", "temporal_start", "temporal_end", "contact_name", "contact_email",
    "contact_phone", "standard_id", "next_update_due", "quality_stars", "quality_score",
}  # fmt: skip
_TSUNAGU_FIELDS = (
    "frequency",
    "spatial_codes",
    "temporal_start",
    "temporal_end",
    "contact_name",
    "contact_email",
    "contact_phone",
    "standard_id",
)


class RemoteError(Exception):
    """The remote action answered with CKAN's error envelope."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def site_root(url: str) -> str:
    """A CKAN site's root from what staff typed (the root, or its API address)."""
    root = url.strip().rstrip("/")
    for tail in ("/api/3/action", "/api/action", "/api/3", "/api"):
        if root.endswith(tail):
            return root[: -len(tail)]
    return root


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


class Api:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.root = site_root(run.source_url)
        self.base = self.root + "/api/3/action/"

    def call(self, action: str, params: dict[str, Any]) -> Any:
        headers = {"Authorization": self.run.api_key} if self.run.api_key else {}
        fetched = self.run.fetch(self.base + action, params=params, headers=headers)
        body = fetched.content.lstrip()
        if body[:1] == b"<" or "html" in fetched.content_type:
            raise SourceError(
                f"JSON ではなく HTML が返りました（HTTP {fetched.status}）。CKAN サイトの URL か"
                f"確かめてください: {self.base}{action}"
            )
        try:
            answer = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise SourceError(
                f"JSON として読めない応答です（HTTP {fetched.status}）: {self.base}{action}"
            ) from None
        if not isinstance(answer, dict) or "success" not in answer:
            raise SourceError(f"CKAN の API の応答ではありません: {self.base}{action}")
        if answer["success"] is not True:
            error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
            raise RemoteError(
                fetched.status, _text(error.get("__type")), _text(error.get("message"))[:300]
            )
        return answer.get("result")


def _names(value: Any) -> list[str]:
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@register
class CkanHarvester:
    kind: ClassVar[str] = "ckan"
    label: ClassVar[str] = "CKAN サイト（API）"

    def check_config(self, config: dict[str, Any]) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for key, value in config.items():
            if key in _LIST_KEYS:
                if not isinstance(value, list) or len(_names(value)) != len(value):
                    errors[key] = ["文字列のリストで指定してください (Must be a list of strings)"]
            elif key == "page_size":
                if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1000:
                    errors[key] = ["1 以上 1000 以下で指定してください (Must be 1-1000)"]
            else:
                errors[key] = [f"不明な設定です: {key} (Unknown config key)"]
        return errors

    # -- gather ------------------------------------------------------------------------------

    def _fq(self, run: Run) -> list[str]:
        config = run.config
        terms: list[str] = []
        if include := _names(config.get("organizations_filter_include") or []):
            terms.append(" OR ".join(f"organization:{_quoted(o)}" for o in include))
        terms += [
            f"-organization:{_quoted(o)}"
            for o in _names(config.get("organizations_filter_exclude") or [])
        ]
        if tags := _names(config.get("tags_filter_include") or []):
            terms.append(" OR ".join(f"tags:{_quoted(t)}" for t in tags))
        terms += [f"-tags:{_quoted(t)}" for t in _names(config.get("tags_filter_exclude") or [])]
        return terms

    def _matches(self, run: Run, package: dict[str, Any]) -> bool:
        """Whether a package passes the filters (for records asked for one by one)."""
        config = run.config
        org = package.get("organization") if isinstance(package.get("organization"), dict) else {}
        org_name = _text((org or {}).get("name"))
        tags = {_text(t.get("name")) for t in package.get("tags") or [] if isinstance(t, dict)}
        if (
            include := _names(config.get("organizations_filter_include") or [])
        ) and org_name not in include:
            return False
        if org_name in _names(config.get("organizations_filter_exclude") or []):
            return False
        if (wanted := _names(config.get("tags_filter_include") or [])) and not tags & set(wanted):
            return False
        return not tags & set(_names(config.get("tags_filter_exclude") or []))

    def gather(self, run: Run) -> Iterator[Record | RecordProblem]:
        api = Api(run)
        terms = self._fq(run)
        if run.since is not None:
            since = run.since.strftime("%Y-%m-%dT%H:%M:%SZ")
            terms.append(f"metadata_modified:[{since} TO *]")
        seen: set[str] = set()
        complete = yield from self._search(api, run, terms, seen)
        if run.since is None:
            if complete:
                run.listed(seen)
        elif run.list_all and not run.stopping():
            self._list(api, run, seen)

    def _search(
        self, api: Api, run: Run, terms: list[str], seen: set[str]
    ) -> Iterator[Record | RecordProblem]:
        """Every page; returns whether the paging ended normally (all of it was read)."""
        rows = int(run.config.get("page_size") or DEFAULT_ROWS)
        sorts = list(_SORTS)
        start = 0
        pages = 0
        max_pages = run.limits.max_records // max(rows, 1) + 10
        while True:
            if run.stopping():
                return False
            params: dict[str, Any] = {"q": "*:*", "rows": rows, "start": start, "sort": sorts[0]}
            if terms:
                params["fq"] = " AND ".join(f"({t})" for t in terms)
            if run.api_key:
                params["include_private"] = "true"
            try:
                result = api.call("package_search", params)
            except RemoteError as error:
                if start == 0 and len(sorts) > 1 and error.status in (400, 409):
                    sorts.pop(0)  # a server that cannot sort by id (older Tsunagu)
                    continue
                raise SourceError(
                    f"検索できませんでした（HTTP {error.status} {error.kind}）: {error.message}"
                ) from None
            results = result.get("results") if isinstance(result, dict) else None
            count = result.get("count") if isinstance(result, dict) else None
            if not isinstance(results, list) or not isinstance(count, int):
                raise SourceError("package_search の応答の形が CKAN と違います (no results/count)")
            if not results:
                return True
            fresh = 0
            for item in results:
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    run.warn(f"id のないデータセットを読み飛ばしました（start={start}）")
                    continue
                if item["id"] in seen:
                    continue
                seen.add(item["id"])
                fresh += 1
                yield self._record(api, run, item)
            if fresh == 0:
                run.warn(
                    f"ページ送りが前のページに戻りました（start={start}）。ここで打ち切りました"
                    "（削除の確認は行いません）"
                )
                return False
            start += len(results)
            pages += 1
            if start >= count:
                return True
            if pages >= max_pages:
                run.warn(f"ページ数の上限（{max_pages}）に達したため打ち切りました")
                return False

    def _record(self, api: Api, run: Run, item: dict[str, Any]) -> Record | RecordProblem:
        key = item["id"]
        title = _text(item.get("title")) or _text(item.get("name")) or key
        size = len(orjson.dumps(item))
        if size > run.limits.max_record_bytes:
            return RecordProblem(
                key,
                title,
                f"レコードが大きすぎます（{size // 1024} KB、上限 "
                f"{run.limits.max_record_bytes // 1024} KB） (Record too large)",
            )
        name = _text(item.get("name"))
        return Record(
            key=key,
            title=title,
            content=item,
            modified=_text(item.get("metadata_modified")),
            original_url=f"{api.root}/dataset/{quote(name or key)}",
            name=name,
        )

    def _list(self, api: Api, run: Run, seen: set[str]) -> None:
        """Every key still at the source: names in package_list, the rest asked for by id."""
        try:
            listed = api.call("package_list", {})
        except (RemoteError, SourceError) as error:
            run.warn(f"削除の確認ができませんでした（package_list）: {error}", incomplete=False)
            return
        if not isinstance(listed, list):
            run.warn(
                "削除の確認ができませんでした（package_list の応答がリストではありません）",
                incomplete=False,
            )
            return
        names = set(_names(listed))
        alive = set(seen)
        for key, known in run.known().items():
            if key in alive or known.withdrawn:
                continue
            if known.name and known.name in names:
                alive.add(key)
                continue
            if run.stopping():
                return  # not every key could be checked: nothing is withdrawn this time
            try:
                package = api.call("package_show", {"id": key})
            except RemoteError as error:
                if error.status in (403, 404):
                    continue  # gone, or no longer public
                run.warn(
                    f"削除の確認ができませんでした（{key}）: {error.message}", incomplete=False
                )
                return
            if (
                isinstance(package, dict)
                and package.get("state", "active") == "active"
                and self._matches(run, package)
            ):
                alive.add(key)
        run.listed(alive)

    # -- one record --------------------------------------------------------------------------

    def to_package(self, record: Record, run: Run) -> PackageDraft:
        item = record.content
        if not isinstance(item, dict):
            raise RecordError("データセットの形が正しくありません (Not a package dict)")
        draft: PackageDraft = {
            "title": _text(item.get("title")) or _text(item.get("name")),
            "notes": _text(item.get("notes")),
            "url": _text(item.get("url")),
            "author": _text(item.get("author")),
            "author_email": _text(item.get("author_email")),
            "maintainer": _text(item.get("maintainer")),
            "maintainer_email": _text(item.get("maintainer_email")),
            "version": _text(item.get("version")),
            "license_id": _text(item.get("license_id")),
            "license_title": _text(item.get("license_title")),
            "license_url": _text(item.get("license_url")),
            "private": bool(item.get("private")),
            "tags": [
                _text(t.get("name") or t.get("display_name"))
                for t in item.get("tags") or []
                if isinstance(t, dict) and not t.get("vocabulary_id")
            ],
            "extras": self._extras(item),
            "resources": [
                self._resource(r) for r in item.get("resources") or [] if isinstance(r, dict)
            ],
        }
        for field in _TSUNAGU_FIELDS:
            value = item.get(field)
            if value not in (None, "", []):
                cast(dict[str, Any], draft)[field] = value
        return draft

    def _extras(self, item: dict[str, Any]) -> dict[str, str]:
        extras: dict[str, str] = {}
        for extra in item.get("extras") or []:
            if isinstance(extra, dict) and isinstance(extra.get("key"), str):
                extras[extra["key"]] = _text(extra.get("value"))
        for key, value in item.items():
            # Fields a CKAN schema (ckanext-scheming) adds at the top level are kept as extras.
            if (
                key not in _NOT_EXTRAS
                and isinstance(value, str | int | float)
                and key not in extras
            ):
                extras[key] = _text(value)
        return extras

    def _resource(self, item: dict[str, Any]) -> ResourceDraft:
        resource: ResourceDraft = {
            "key": _text(item.get("id")),
            "name": _text(item.get("name")),
            "description": _text(item.get("description")),
            "url": _text(item.get("url")),
            "format": _text(item.get("format")),
            "mimetype": _text(item.get("mimetype")),
        }
        if stated := _text(item.get("last_modified")):
            resource["last_modified"] = stated
        return resource
