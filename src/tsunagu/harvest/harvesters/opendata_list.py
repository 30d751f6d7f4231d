"""An オープンデータ一覧 file (standard A-06): one row per dataset, with its URL.

- **Reading**: the source URL is the file (CSV in UTF-8 or Shift_JIS, or XLSX …), fetched
  through ``run.fetch`` and read by the datastore's reader with lenient headers
  (harvest/opendata_table.py). A file that cannot be fetched, is not a table, or lacks a
  データセット名 or URL column ends the job in error, naming what was found; nothing is withdrawn.
- **Identity**: 全国地方公共団体コード + ID (``352012:15``; the ID alone when the file has no
  code), or the URL when the row has no ID. Rows sharing an identity are one dataset with one
  file per row (a dataset published as CSV and PDF on two rows), never the title.
- **A bad row** (no データセット名, a missing or malformed URL, a bad code) is an error on its
  record; the rest of the file is harvested.
- **Deletions**: the file is read whole every time, so every job lists every key; a row that
  leaves the file is withdrawn after the source's grace period.
- **Organisation**: the source's, or with ``organizations_by_code: true`` (a prefecture's list
  of its municipalities' data; sysadmins only) the organisation whose 全国地方公共団体コード is
  the row's (harvest/owners.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any, ClassVar

from tsunagu.catalog.metadata import frequency
from tsunagu.harvest.harvesters import register
from tsunagu.harvest.opendata_table import ListFileError, ListRow, read_list, suffix_of
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
    "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;q=0.9, "
    "application/vnd.ms-excel;q=0.8, */*;q=0.1"
)
_WORDS = re.compile(r"[、,;；\n]+")  # after NFKC: ，→ ,  ；→ ;
_FORMATS = re.compile(r"[・、,;/\s]+")
# A file's extension → its format (a URL without one is a page, or a file of the stated format).
_EXTENSIONS = {
    ".csv": "CSV", ".tsv": "TSV", ".txt": "TXT", ".xlsx": "XLSX", ".xls": "XLS",
    ".ods": "ODS", ".json": "JSON", ".geojson": "GeoJSON", ".xml": "XML", ".pdf": "PDF",
    ".zip": "ZIP", ".kml": "KML", ".kmz": "KMZ", ".rdf": "RDF", ".ttl": "TTL",
    ".docx": "DOCX", ".doc": "DOC", ".pptx": "PPTX", ".html": "HTML", ".htm": "HTML",
    ".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".shp": "SHP",
}  # fmt: skip
# Licence wordings the shared mapping (harvest/licenses.py) leaves alone because they carry no
# version, but which in an オープンデータ一覧 can only mean one of ours: the catalog's own alias
# "cc-by" is CC BY 4.0, and PDL has only version 1.0.
_UNVERSIONED = (
    (
        re.compile(r"^(cc[\s_-]*by|クリエイティブ・?コモンズ[\s・]*(ライセンス)?[\s・]*表示)$"),
        "cc-by",
    ),
    (re.compile(r"^(pdl|public[\s_-]*data[\s_-]*license)$"), "pdl-1.0"),
)


def _words(*texts: str) -> list[str]:
    found: dict[str, None] = {}
    for text in texts:
        for word in _WORDS.split(unicodedata.normalize("NFKC", text or "")):
            if word.strip():
                found[word.strip()] = None
    return list(found)


def licence(text: str) -> tuple[str, str]:
    """(licence id for the shared mapping, the text as written) for a ライセンス cell."""
    folded = unicodedata.normalize("NFKC", text or "").strip().lower()
    for pattern, license_id in _UNVERSIONED:
        if pattern.match(folded):
            return license_id, ""
    return "", (text or "").strip()


def file_format(url: str, stated: str) -> str:
    """A file's format: its URL's extension, else the one format the row states, else ""."""
    by_extension = _EXTENSIONS.get(suffix_of(url))
    if by_extension:
        return by_extension
    formats = [f for f in _FORMATS.split(unicodedata.normalize("NFKC", stated or "")) if f]
    return formats[0].upper()[:50] if len(formats) == 1 else ""


def _key(row: ListRow) -> str:
    ident = unicodedata.normalize("NFKC", row.values.get("id", "")).strip()
    if ident.isdigit():
        ident = str(int(ident))  # "007" in a CSV is 7 in a spreadsheet
    code = row.code or row.values.get("code_text", "")
    if ident:
        return f"{code}:{ident}" if code else ident
    if row.urls:
        return row.urls[0]
    return f"{row.line} 行目"


@register
class OpendataListHarvester:
    kind: ClassVar[str] = "opendata_list"
    label: ClassVar[str] = "オープンデータ一覧（CSV・Excel）"
    sysadmin_config: ClassVar[tuple[str, ...]] = ("organizations_by_code",)

    def check_config(self, config: dict[str, Any]) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for key, value in config.items():
            if key == "organizations_by_code":
                if not isinstance(value, bool):
                    errors[key] = ["true か false で指定してください (Must be true or false)"]
            elif key == "sheet":
                if not isinstance(value, str) or not 0 < len(value.strip()) <= 100:
                    errors[key] = ["シート名を文字列で指定してください (Must be a sheet name)"]
            else:
                errors[key] = [f"不明な設定です: {key} (Unknown config key)"]
        return errors

    # -- gather ------------------------------------------------------------------------------

    def gather(self, run: Run) -> Iterator[Record | RecordProblem]:
        fetched = run.fetch(run.source_url, headers={"Accept": ACCEPT})
        if fetched.status != 200:
            raise SourceError(f"取得できませんでした（HTTP {fetched.status}）: {run.source_url}")
        sheet = run.config.get("sheet")
        try:
            table = read_list(
                fetched.content,
                suffix=suffix_of(fetched.url),
                sheet=sheet if isinstance(sheet, str) else None,
            )
        except ListFileError as error:
            raise SourceError(f"{error}: {run.source_url}") from None
        groups: dict[str, list[ListRow]] = {}
        for row in table.rows:
            groups.setdefault(_key(row), []).append(row)
        run.progress(f"{len(table.rows)} 行を読みました", total=len(groups))
        for key, rows in groups.items():
            if run.stopping():
                return  # not every row was looked at: nothing is withdrawn
            yield self._record(key, rows)
        run.listed(groups)

    def _record(self, key: str, rows: list[ListRow]) -> Record | RecordProblem:
        title = next((r.values.get("title", "") for r in rows if r.values.get("title")), "")
        problems = [f"{r.line} 行目: {p}" for r in rows for p in r.problems]
        if not title:
            lines = "、".join(str(r.line) for r in rows)
            problems.insert(0, f"{lines} 行目: データセット名がありません (Missing title)")
        if problems:
            return RecordProblem(key, title or f"{rows[0].line} 行目", "; ".join(problems))
        modified = max((r.values.get("modified", "") for r in rows), default="")
        return Record(
            key=key,
            title=title,
            content=rows,
            modified=modified if re.fullmatch(r"\d{4}-\d\d-\d\d", modified) else "",
            original_url=rows[0].urls[0],
        )

    # -- one record --------------------------------------------------------------------------

    def to_package(self, record: Record, run: Run) -> PackageDraft:
        rows = record.content
        if not isinstance(rows, list) or not rows:
            raise RecordError("オープンデータ一覧の行ではありません (Not a list row)")

        def stated(name: str) -> str:
            return next((r.values[name] for r in rows if r.values.get(name)), "")

        license_id, license_text = licence(stated("license"))
        draft: PackageDraft = {
            "title": record.title,
            "notes": stated("notes"),
            "license_id": license_id,
            "license_title": license_text,
            "tags": _words(*(r.values.get("keywords", "") for r in rows), stated("category")),
            "extras": self._extras(rows),
            "resources": self._resources(record.title, rows),
        }
        landing = rows[0].urls[0]
        if not file_format(landing, "") or file_format(landing, "") == "HTML":
            draft["url"] = landing  # a page about the data rather than the file itself
        if text := stated("frequency"):
            try:
                draft["frequency"] = frequency.normalise(text)
            except ValueError:
                draft["frequency"] = text  # kept by the engine as harvest_frequency
        codes = list(dict.fromkeys(r.code for r in rows if r.code))
        if codes:
            draft["spatial_codes"] = codes
            if run.config.get("organizations_by_code"):
                draft["owner_code"] = codes[0]
        return draft

    def _extras(self, rows: list[ListRow]) -> dict[str, str]:
        extras: dict[str, str] = {}
        names = {"id": "identifier", "category": "category", "remarks": "remarks"}
        for field, extra in names.items():
            values = list(dict.fromkeys(r.values[field] for r in rows if r.values.get(field)))
            if values:
                extras[extra] = "、".join(values)
        for field in ("issued", "modified"):
            days = sorted(r.values[field] for r in rows if r.values.get(field))
            if not days:
                continue
            day = days[0] if field == "issued" else days[-1]
            # DCAT reads issued/modified as dates; anything else is kept as written.
            extras[field if re.fullmatch(r"\d{4}-\d\d-\d\d", day) else f"{field}_text"] = day
        governments = [r.values["government"] for r in rows if r.values.get("government")]
        if governments:
            extras["publisher_name"] = governments[0]
        return extras

    def _resources(self, title: str, rows: list[ListRow]) -> list[ResourceDraft]:
        found: dict[str, ListRow] = {}
        for row in rows:
            for url in row.urls:
                found.setdefault(url, row)
        resources: list[ResourceDraft] = []
        for url, row in found.items():
            fmt = file_format(url, row.values.get("formats", ""))
            name = row.values.get("title") or title
            resources.append(
                {
                    # The URL is the file's identity: its local resource (and datastore table)
                    # stays the same while the row keeps it.
                    "key": url,
                    "name": f"{name}（{fmt}）" if fmt and len(found) > 1 else name,
                    "description": row.values.get("remarks", ""),
                    "url": url,
                    "format": fmt,
                }
            )
        return resources
