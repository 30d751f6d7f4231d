"""A DCAT catalog (Turtle, RDF/XML or JSON-LD, one file or hydra-paged), read with dcat/parse.py.

- **Pages**: the source URL is the first page; ``hydra:next`` (or the legacy ``hydra:nextPage``)
  leads on, with the loop guards of dcat/paging.py. A first page that cannot be read ends the
  job in error; a later one stops the walk with a warning, keeping what was read.
- **Identity**: each dataset's URI, or its dct:identifier (never its title).
- **Deletions**: a full walk that read every page lists every key, so the engine may withdraw
  what the source no longer has. A walk stopped early lists nothing.
- **Incremental** (config ``modified_since: true``, for sources that honour the parameter, as
  Tsunagu and ckanext-dcat do): the first page is asked with ``modified_since`` set to the
  last good job's start (minus the engine's overlap); when deletion detection is due the walk
  is a full one instead.
- Fetching goes through ``run.fetch`` (the guarded client), remote JSON-LD contexts included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, ClassVar, cast
from urllib.parse import urlencode, urlsplit, urlunsplit

import orjson

from tsunagu.dcat.paging import FetchedPage, PageWalk
from tsunagu.dcat.parse import DcatRecord
from tsunagu.dcat.reading import DcatReadError
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

ACCEPT = (
    "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, "
    "application/n-triples;q=0.5, */*;q=0.1"
)
FORMATS = {
    "": "",
    "turtle": "turtle",
    "text/turtle": "turtle",
    "xml": "xml",
    "application/rdf+xml": "xml",
    "json-ld": "json-ld",
    "application/ld+json": "json-ld",
    "nt": "nt",
    "application/n-triples": "nt",
}
MAX_CONTEXT_BYTES = 1024 * 1024
# Package fields of Tsunagu's own that the engine takes when the source gives them.
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


def _with_modified_since(url: str, since: str) -> str:
    parts = urlsplit(url)
    query = (parts.query + "&" if parts.query else "") + urlencode({"modified_since": since})
    return urlunsplit(parts._replace(query=query))


@register
class DcatHarvester:
    kind: ClassVar[str] = "dcat"
    label: ClassVar[str] = "DCAT（Turtle・RDF/XML・JSON-LD）"

    def check_config(self, config: dict[str, Any]) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for key, value in config.items():
            if key == "rdf_format":
                if not isinstance(value, str) or value not in FORMATS:
                    choices = "、".join(k for k in FORMATS if k)
                    errors[key] = [f"{choices} のいずれかで指定してください (Unknown RDF format)"]
            elif key == "modified_since":
                if not isinstance(value, bool):
                    errors[key] = ["true か false で指定してください (Must be true or false)"]
            elif key == "max_pages":
                if (
                    not isinstance(value, int)
                    or isinstance(value, bool)
                    or not 1 <= value <= 100_000
                ):
                    errors[key] = ["1 以上 100000 以下で指定してください (Must be 1-100000)"]
            else:
                errors[key] = [f"不明な設定です: {key} (Unknown config key)"]
        return errors

    # -- gather ------------------------------------------------------------------------------

    def _fetch(self, run: Run, url: str) -> FetchedPage:
        fetched = run.fetch(url, headers={"Accept": ACCEPT})
        if fetched.status != 200:
            raise DcatReadError(f"取得できませんでした（HTTP {fetched.status}）: {url}")
        return FetchedPage(
            url=fetched.url, content=fetched.content, content_type=fetched.content_type
        )

    def _context(self, run: Run, url: str) -> dict[str, Any]:
        fetched = run.fetch(
            url,
            headers={"Accept": "application/ld+json, application/json"},
            max_bytes=MAX_CONTEXT_BYTES,
        )
        if fetched.status != 200:
            raise DcatReadError(
                f"JSON-LD の @context を取得できません（HTTP {fetched.status}）: {url}"
            )
        try:
            loaded = json.loads(fetched.content)
        except ValueError:
            raise DcatReadError(f"JSON-LD の @context が JSON ではありません: {url}") from None
        if not isinstance(loaded, dict):
            raise DcatReadError(f"JSON-LD の @context の形が正しくありません: {url}")
        return loaded

    def gather(self, run: Run) -> Iterator[Record | RecordProblem]:
        config = run.config
        incremental = bool(config.get("modified_since")) and run.since is not None
        incremental = incremental and not run.list_all
        first = run.source_url
        if incremental and run.since is not None:
            first = _with_modified_since(first, run.since.strftime("%Y-%m-%dT%H:%M:%SZ"))
        pages = int(config.get("max_pages") or run.limits.max_records // 10 + 10)
        walk = PageWalk(
            first,
            lambda url: self._fetch(run, url),
            max_pages=pages,
            forced_format=FORMATS.get(str(config.get("rdf_format") or ""), ""),
            context_loader=lambda url: self._context(run, url),
            max_resources=run.limits.max_resources,
        )
        keys: set[str] = set()
        iterator = iter(walk)
        while True:
            if run.stopping():
                return
            try:
                page = next(iterator)
            except StopIteration:
                break
            except DcatReadError as error:
                if walk.pages_read == 0:
                    raise SourceError(str(error)) from None
                run.warn(
                    f"{walk.pages_read + 1} ページ目を読めないため、ここで打ち切りました"
                    f"（削除の確認は行いません）: {error}"
                )
                return
            run.progress(
                f"{walk.pages_read} ページ目を読みました", done=len(keys), total=page.total
            )
            for index, record in enumerate(page.records):
                key = record.key or f"{page.url}#dataset-{index + 1}"
                keys.add(key)
                yield self._record(run, key, record)
        if not walk.complete:
            run.warn(f"{walk.stopped_because}（削除の確認は行いません）")
        elif not incremental:
            run.listed(keys)

    def _record(self, run: Run, key: str, record: DcatRecord) -> Record | RecordProblem:
        title = record.title or key
        if record.package is None:
            return RecordProblem(key, title, record.error)
        size = len(orjson.dumps(record.package))
        if size > run.limits.max_record_bytes:
            return RecordProblem(
                key,
                title,
                f"レコードが大きすぎます（{size // 1024} KB、上限 "
                f"{run.limits.max_record_bytes // 1024} KB） (Record too large)",
            )
        return Record(
            key=key,
            title=title,
            content=record,
            modified=record.modified,
            original_url=record.page_url,
            name=record.name,
        )

    # -- one record --------------------------------------------------------------------------

    def to_package(self, record: Record, run: Run) -> PackageDraft:
        parsed = record.content
        if not isinstance(parsed, DcatRecord) or parsed.package is None:
            raise RecordError("DCAT のデータセットではありません (Not a DCAT dataset)")
        package = parsed.package
        extras = {e["key"]: e["value"] for e in package.get("extras") or []}
        licence_text = extras.pop("license_original", "")
        if package.get("spatial"):
            # A place with no 全国地方公共団体コード: its name as the source gave it.
            extras["spatial_label"] = package["spatial"]
        if parsed.themes:
            extras["theme"] = json.dumps(parsed.themes, ensure_ascii=False)
        draft: PackageDraft = {
            "title": package["title"],
            "notes": package.get("notes") or "",
            "url": package.get("url") or "",
            "version": package.get("version") or "",
            "license_id": package.get("license_id") or "",
            "license_title": licence_text,
            "tags": [t["name"] for t in package.get("tags") or []],
            "extras": extras,
            "resources": [self._resource(r) for r in package.get("resources") or []],
        }
        for field in _TSUNAGU_FIELDS:
            value = package.get(field)
            if value not in (None, "", []):
                cast(dict[str, Any], draft)[field] = value
        return draft

    def _resource(self, item: dict[str, Any]) -> ResourceDraft:
        resource: ResourceDraft = {
            # The distribution's URI keeps the local resource (and its datastore table) the
            # same across runs; without one, the engine falls back to the URL.
            "key": str(item.get("uri") or ""),
            "name": str(item.get("name") or ""),
            "description": str(item.get("description") or ""),
            "url": str(item.get("url") or ""),
            "format": str(item.get("format") or ""),
            "mimetype": str(item.get("mimetype") or ""),
        }
        if stated := item.get("last_modified"):
            resource["last_modified"] = str(stated)
        return resource
