"""The English UI catalog: complete, not stale, placeholders intact, and actually used."""

from __future__ import annotations

import importlib.util
import json
import re
import string
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request

from tsunagu.catalog.site_options import SiteOptions
from tsunagu.datastore.ingest.model import COLUMN_TYPES
from tsunagu.quality.rating import STAR_LABELS
from tsunagu.web.i18n import LOCALES, translator
from tsunagu.web.templating import environment
from tsunagu.web.views import harvest as harvest_views
from tsunagu.web.views import workspace_table
from tsunagu.web.views.public import FACET_TITLES, SORTS
from tsunagu.web.views.staff import TYPE_LABELS
from tsunagu.workspace import table as staff_table
from tsunagu.workspace.attention.registry import sources as attention_sources

ROOT = Path(__file__).resolve().parents[2]
EN_JSON = LOCALES / "en.json"


def _load_extractor() -> ModuleType:
    path = ROOT / "scripts" / "extract_messages.py"
    spec = importlib.util.spec_from_file_location("extract_messages", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


extractor = _load_extractor()


@pytest.fixture(scope="module")
def ids() -> list[str]:
    return extractor.extract_ids()


@pytest.fixture(scope="module")
def en() -> dict[str, str]:
    def no_duplicates(pairs: list[tuple[str, str]]) -> dict[str, str]:
        keys = [k for k, _ in pairs]
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        assert not duplicated, f"duplicate keys in en.json: {duplicated}"
        return dict(pairs)

    return json.loads(EN_JSON.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)


def _placeholders(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


# -- the extractor --------------------------------------------------------------------------


def test_extractor_finds_every_kind_of_id(ids: list[str]) -> None:
    assert ids == sorted(set(ids))
    assert "データを探す" in ids  # _("…") in a template
    assert "コピーしました" in ids  # _('…') in an attribute
    assert "{page} / {pages} ページ" in ids  # _("…", page=…) with placeholders
    assert {"作成", "更新", "削除", "管理者", "編集者"} <= set(ids)  # literal dicts in _()
    assert "関連度順" in ids and "タイトル順" in ids  # SORTS
    assert "組織" in ids and "形式" in ids  # FACET_TITLES
    assert "整数" in ids and "真偽値" in ids  # TYPE_LABELS
    assert "ユーザー名またはパスワードが違います。" in ids  # error= passed to render()
    # Keys of the literal dicts are lookup keys, not messages.
    assert not {"new package", "admin", "editor"} & set(ids)


def test_extractor_reads_literals_but_not_keys() -> None:
    found, dynamic = extractor.template_ids(
        '{{ _("あ") }}{{ _({"k": "い"}.get(x, "う")) }}{{ _(["え", "お"][i]) }}'
        '{{ _("か" if c else "き") }}{{ _("{n} 件", n=1) }}{{ _(error) }}{{ _(obj.title) }}'
    )
    assert found == {"あ", "い", "う", "え", "お", "か", "き", "{n} 件"}
    assert dynamic == {"error"}


def test_check_mode_reports_missing_and_stale() -> None:
    assert extractor.check(["a", "b"], {"a": "A", "b": " ", "c": "C"}) == [
        "missing: b",
        "stale: c",
    ]
    assert extractor.main(["--check"]) == 0


# -- the catalog ----------------------------------------------------------------------------


def test_every_id_has_an_english_translation(ids: list[str], en: dict[str, str]) -> None:
    missing = [i for i in ids if not en.get(i, "").strip()]
    assert not missing, f"untranslated ids: {missing}"


def test_no_stale_entries(ids: list[str], en: dict[str, str]) -> None:
    stale = sorted(set(en) - set(ids))
    assert not stale, f"entries no template or view uses: {stale}"


def test_placeholders_match(en: dict[str, str]) -> None:
    wrong = {
        key: (_placeholders(key), _placeholders(text))
        for key, text in en.items()
        if _placeholders(key) != _placeholders(text)
    }
    assert not wrong, f"placeholders differ (id, translation): {wrong}"
    for key, text in en.items():  # and every translation formats cleanly
        values = dict.fromkeys(_placeholders(key), "1")
        text.format(**values)


def test_translations_are_english(en: dict[str, str]) -> None:
    japanese = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e\u3001-\u303f]")
    leftovers = {k: v for k, v in en.items() if japanese.search(v)}
    assert not leftovers, f"Japanese left in translations: {leftovers}"


def test_catalog_file_is_canonical(en: dict[str, str]) -> None:
    text = EN_JSON.read_text(encoding="utf-8")
    assert text == json.dumps(en, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def test_translator() -> None:
    english, japanese = translator("en"), translator("ja")
    assert english("データを探す") == "Find data"
    assert english("職員ログイン") == "Staff sign-in"
    assert english("{page} / {pages} ページ", page=2, pages=5) == "Page 2 of 5"
    assert english("まだ翻訳されていない文") == "まだ翻訳されていない文"
    for message in ("データを探す", "非公開", "ユーザー名またはパスワードが違います。"):
        assert japanese(message) == message
    assert japanese("{n} 件", n=3) == "3 件"


# -- rendered pages -------------------------------------------------------------------------

# Kana and kanji: Japanese letters. (Full-width punctuation the templates write between
# messages, such as "：" or "（…）", is not checked here.)
JAPANESE_LETTERS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]+")
# Attributes that carry data, not UI text: the map attribution names the tile provider and
# data-label-name-column names a column to look for in Japanese source data.
DATA_ATTRIBUTES = {"data-attribution", "data-label-name-column"}


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.stack: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.stack.append((tag, values))
        self.texts += [v for k, v in attrs if v and k not in DATA_ATTRIBUTES]

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1][1].get("hreflang") == "ja":
            return  # the language switch names Japanese in Japanese on purpose
        if any(tag in ("script", "style", "pre") for tag, _ in self.stack):
            return  # code samples search Japanese data on purpose (q="避難所")
        self.texts.append(data)


def _request(path: str = "/", query: str = "lang=en") -> Request:
    settings = SimpleNamespace(map_tiles="", site_url="http://testserver")
    app = SimpleNamespace(state=SimpleNamespace(services=SimpleNamespace(settings=settings)))
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query.encode(),
        "headers": [],
        "app": app,
    }
    return Request(scope)


ORG = {
    "id": "org-1",
    "name": "sample-city",
    "title": "Sample City",
    "description": "A city.",
    "kind": "municipality",
    "local_gov_code": "352012",
    "contact_email": "opendata@example.jp",
    "url": "https://example.jp",
    "package_count": 1,
    "latitude": 34.0,
    "longitude": 131.0,
    "users": [{"name": "alice", "fullname": "Alice", "capacity": "admin"}],
}
FIELDS = [
    {"id": "name", "type": "text", "info": {}},
    {"id": "count", "type": "int", "info": {}},
]
RESOURCE = {
    "id": "res-1",
    "name": "shelters.csv",
    "format": "CSV",
    "url": "http://testserver/shelters.csv",
    "description": "Shelters.",
    "datastore_active": True,
    "datastore_notes": ["source note"],
    "quality": {
        "stars": 3,
        "score": 82,
        "checked": "2024-04-01T09:00:00",
        "standard": "evacuation_space",
    },
}
FINDINGS = {
    "summary": {"error": 1, "warning": 1, "info": 0},
    "findings": [
        {
            "rule": "cells.wareki",
            "severity": "error",
            "row": 3,
            "column": "date",
            "message": "Era.",
        },
        {
            "rule": "layout.title_row",
            "severity": "warning",
            "row": 1,
            "message": "Title.",
            "fix": "Delete.",
        },
        {"rule": "schema.extra_column", "severity": "info", "column": "x", "message": "Extra."},
    ],
    "truncated": True,
}
REPORT = {
    "checkable": True,
    "status": "complete",
    "checked": "2024-04-01T09:00:00",
    "standard": "evacuation_space",
    "standard_guessed": True,
    "report": FINDINGS,
    "pii": {"blocked": True, "override": None, "report": FINDINGS},
}
STANDARDS = {"evacuation_space": "03 Evacuation spaces"}
CHANGES = {
    "compared_number": 1,
    "method": "key",
    "key": "ID",
    "rows_added": 12,
    "rows_removed": 3,
    "rows_changed": 2,
    "columns_added": ["note"],
    "columns_removed": ["old"],
    "columns_retyped": [{"id": "area", "from": "int", "to": "numeric"}],
}
VERSION = {
    "id": "v-1",
    "number": 1,
    "current": False,
    "filename": "shelters.csv",
    "url": "http://testserver/dataset/pkg-1/resource/res-1/version/v-1/download/shelters.csv",
    "size": 2048,
    "uploaded": "2024-04-01T09:00:00",
    "rows": 1200,
    "ingest_status": "complete",
    "ingest_error": "",
    "datastore_live": False,
    "changes": None,
}
VERSIONS = [
    {
        **VERSION,
        "id": "v-3",
        "number": 3,
        "current": True,
        "datastore_live": True,
        "changes": CHANGES,
    },
    {**VERSION, "id": "v-2", "number": 2, "changes": {**CHANGES, "compared_number": None}},
    {**VERSION, "changes": {"method": "content", "compared_number": 0}},
    {**VERSION, "id": "v-0", "number": 0, "ingest_status": "pending", "rows": None},
]
FAILED_VERSION = {
    **VERSION,
    "id": "v-4",
    "number": 4,
    "current": True,
    "ingest_status": "error",
    "ingest_error": "Not a spreadsheet.",
}
PACKAGE = {
    "id": "pkg-1",
    "name": "shelters",
    "title": "Shelters",
    "notes": "All shelters.",
    "private": True,
    "state": "draft",
    "organization": ORG,
    "owner_org": "org-1",
    "license_id": "cc-by-4.0",
    "frequency": "yearly",
    "spatial": "Sample City",
    "temporal_start": "2020",
    "temporal_end": "2024",
    "metadata_modified": "2024-04-01T09:00:00",
    "tags": [{"name": "disaster"}],
    "groups": [{"name": "safety", "title": "Safety"}],
    "resources": [RESOURCE],
    "quality_stars": 3,
    "quality_score": 82,
}
STAFF_QUERY = staff_table.parse({"q": "shelter", "state": "draft", "overdue": "1", "page": "2"})
STAFF_TABLE = {
    "query": STAFF_QUERY,
    "rows": staff_table.table_rows([{**PACKAGE, "next_update_due": "2024-05-15"}], "2024-06-01"),
    "count": 120,
    "pages": 3,
    "formats": ["CSV"],
    "standards": STANDARDS,
    "sorts": workspace_table._sort_links(STAFF_QUERY),
    "sort_fields": {"sort": "title"},
    "page_url": lambda page: f"?page={page}",
    "back": "?state=draft",
    "error": "Invalid search query.",
    "star_choices": staff_table.STAR_CHOICES,
    "page_sizes": staff_table.PAGE_SIZES,
    "orgs": [ORG],
    "targets": [ORG],
    "groups": [{"name": "safety", "title": "Safety"}],
    "org_titles": {"sample-city": "Sample City"},
    "group_titles": {"safety": "Safety"},
}
BULK = {
    "choice": "public",
    "fields": {},
    "form_values": {"target_org": "", "group": "", "tag": ""},
    "selected": ["pkg-1", "pkg-2"],
    "errors": {},
    "back": "?state=draft",
    "orgs": [ORG],
    "targets": [ORG],
    "groups": [{"name": "safety", "title": "Safety"}],
    "org_titles": {"sample-city": "Sample City"},
    "group_titles": {"safety": "Safety"},
}
_ITEM = {"ref": "pkg-1", "id": "pkg-1", "name": "shelters", "title": "Shelters"}
BULK_OUTCOME = {
    "operation": "public",
    "changed": [
        {**_ITEM, "change": {"private": {"from": True, "to": False}}},
        {**_ITEM, "change": {"organization": {"from": "sample-city", "to": "other"}}},
        {**_ITEM, "change": {"groups": {"added": ["safety"], "removed": ["x"]}}},
        {**_ITEM, "change": {"tags": {"added": ["disaster"], "removed": []}}},
        {**_ITEM, "change": {"checks": [{"id": "res-1", "name": "shelters.csv"}]}},
        {**_ITEM, "change": {"state": {"from": "active", "to": "deleted"}}},
    ],
    "unchanged": [_ITEM],
    "skipped": [
        {"ref": "secret", "reason": "not_found", "messages": ["Not found."]},
        {**_ITEM, "reason": "not_authorized", "messages": ["Not yours."]},
        {**_ITEM, "reason": "refused", "messages": ["Personal data in p.csv, row 2."]},
    ],
}
LICENSE = SimpleNamespace(id="cc-by-4.0", title="CC BY 4.0", url="https://example.org/by")
CHOROPLETH = {
    "resource_id": "res-1",
    "code_field": "code",
    "value_field": "count",
    "aggregation": "sum",
    "filters": {"date": "2025-03-31"},
    "defaults": {"date": "2025-03-31"},
    "method": "quantile",
    "classes": 2,
    "breaks": [1, 2, 5],
    "legend": [
        {"class": 1, "min": 1, "max": 2, "color": "#a1dab4", "count": 1},
        {"class": 2, "min": 2, "max": 5, "color": "#225ea8", "count": 1},
    ],
    "no_data_color": "#d9d9d9",
    "areas": [
        {"code": "352012", "name": "Shimonoseki", "prefecture": "35", "level": "municipality",
         "value": 5, "rows": 2, "class": 2, "color": "#225ea8"},
        {"code": "352021", "name": "Ube", "prefecture": "35", "level": "municipality",
         "value": 1.5, "rows": 1, "class": 1, "color": "#a1dab4"},
    ],
    "unmatched": [
        {"code": r, "as_written": [r], "name": None, "rows": 1, "value": 1, "reason": r}
        for r in ("invalid", "prefecture", "ward", "city_by_wards", "unknown")
    ],
    "rows": 8,
    "prefectures": ["35"],
    "boundary_url": "/maps/boundaries/{prefecture}.geojson",
    "attribution": "",
    "value_fields": ["count"],
    "filter_options": {"date": ["2024-03-31", "2025-03-31"]},
}  # fmt: skip
VIEW = {
    "info": {"fields": FIELDS, "meta": {}},
    "first": {"total": 1, "records": [{"name": "Hall", "count": 3}]},
    "point": {"lat": "lat", "lon": "lon"},
    "numeric": [FIELDS[1]],
    "columns": FIELDS,
    "choropleth": CHOROPLETH,
}
FORM = {
    "orgs": [ORG],
    "groups": [{"name": "safety", "title": "Safety"}],
    "licenses": [LICENSE],
    "values": {"title": "Shelters"},
    "errors": {"title": ["too short"]},
}


def _attention_items() -> list[dict[str, Any]]:
    """One item per message any 要対応 source may give, with English data in the placeholders."""
    params = {
        "file": "shelters.csv",
        "error": "Not a number.",
        "errors": 2,
        "days": 10,
        "frequency": "Monthly",
        "due": "2024-05-15",
        "stars": 1,
        "score": 8,
        "min_stars": 3,
        "min_score": 50,
        "standard": "03 Evacuation spaces",
        "dataset": "Shelters",
        "supporters": 4,
    }
    return [
        {"title": "Shelters", "message": message, "params": params, "organization": "sample-city"}
        | {"link": "/staff/dataset/shelters#publish-heading"}
        for source in attention_sources()
        for message in source.messages
    ]


ATTENTION = {
    "everything": False,
    "total": 3,
    "lines": [
        {
            "kind": source.kind,
            "label": source.label,
            "count": 3 if index == 0 else 0,
            "by_organization": {"sample-city": 3} if index == 0 else {},
            "items": _attention_items() if index == 0 else [],
            "more": "/staff/datasets?errors=1" if index == 0 else None,
        }
        for index, source in enumerate(attention_sources())
    ],
    "organizations": [
        {"id": "org-1", "name": "sample-city", "title": "Sample City", "count": 3}
        | {"kind": "municipality", "min_stars": 3, "min_score": 0}
    ],
}
HARVEST_LABELS = harvest_views.labels()
HARVEST_JOB = {
    "id": "job-1",
    "job_status": "complete",
    "mode": "full",
    "created": "2024-04-01T09:00:00",
    "gather_started": "2024-04-01T09:00:01",
    "finished": "2024-04-01T09:05:00",
    "counts": {"added": 3, "updated": 2, "unchanged": 10, "withdrawn": 1, "errored": 4},
    "progress": {},
    "message": "",
    "cancel_requested": False,
}
HARVEST_SOURCE = {
    "id": "src-1",
    "name": "sample-ckan",
    "title": "Sample City CKAN",
    "url": "https://ckan.example.jp",
    "source_type": "ckan",
    "frequency": "daily",
    "organization": ORG,
    "owner_org": "org-1",
    "active": True,
    "api_key": "********abcd",
    "notes": "Nightly.",
    "next_run": "2024-04-02T09:00:00",
    "status": {"last_job": HARVEST_JOB},
}
PAGES: dict[str, dict[str, Any]] = {
    "about.html": {},
    "home.html": {
        "datasets": [PACKAGE],
        "total": 1,
        "groups": [{"name": "safety", "title": "Safety", "package_count": 1}],
        "organizations": [ORG],
        "municipalities": [ORG],
        "publishing": {"sample-city": 1},
        "points": [{"lat": 34.0, "lon": 131.0, "label": "Sample City"}],
        "formats": {"CSV": 1},
        "popular": [PACKAGE],
    },
    "search.html": {
        "q": "shelter",
        "sort": "",
        "sorts": SORTS,
        "filters": {"tags": ["disaster"]},
        "result": {"count": 45, "results": [PACKAGE]},
        "page": 2,
        "pages": 3,
        "error": None,
        "facets": [
            {
                "field": field,
                "title": title,
                "items": [
                    {"display_name": "Value", "count": 1, "href": "/dataset", "active": True}
                ],
            }
            for field, title in FACET_TITLES.items()
        ],
    },
    "dataset.html": {
        "package": PACKAGE,
        "views": {"res-1": VIEW},
        "reports": {"res-1": REPORT},
        "standards": STANDARDS,
        "activity": [
            {"timestamp": "2024-04-01T09:00:00", "activity_type": t, "data": {}}
            for t in ("new package", "changed package", "deleted package")
        ]
        + [
            {
                "timestamp": "2024-05-01T09:00:00",
                "activity_type": "changed package",
                "data": {"resource_versions": [{"resource_name": "May", "number": 2}]},
            }
        ],
        "license": LICENSE,
        "can_edit": True,
        "follow": {"following": False, "followers": 2},
        "site_url": "http://testserver",
        "tiles": "",
        "jsonld": {},
    },
    "organizations.html": {"organizations": [ORG]},
    "organization.html": {
        "org": {**ORG, "packages": [PACKAGE]},
        "quality": {
            "score_mean": 82.0,
            "num_datasets": 1,
            "stars": {str(n): int(n == 3) for n in range(6)},
            "standards": {"evacuation_space": 1},
        },
        "standards": STANDARDS,
        "follow": {"following": True, "followers": 1},
    },
    "api.html": {"actions": ["package_search"], "site_url": "http://testserver"},
    "embed.html": {
        "resource": {"id": "res-1", "name": "Sheet", "package_id": "p"},
        "view": VIEW,
        "tiles": "",
        "site_url": "http://testserver",
    },
    "choropleth.html": {
        "resource": {"id": "res-1", "name": "Sheet", "package_id": "p"},
        "package": PACKAGE,
        "choropleth": CHOROPLETH,
        "error": {"classes": ["Between 2 and 7."]},
        "tiles": "",
    },
    "login.html": {
        "next": "/staff",
        "error": "ユーザー名またはパスワードが違います。",
        "name": "x",
    },
    "error.html": {"message": "Something failed."},
    "not_found.html": {},
    "staff/home.html": {
        "attention": ATTENTION,
        "org_titles": {"sample-city": "Sample City"},
        "orgs": [ORG],
        "current": ATTENTION["organizations"][0],
        "chosen": "sample-city",
        "is_sysadmin": False,
        "can_set_minimums": True,
        "star_choices": range(6),
        "recent": [PACKAGE],
        "errors": {"min_score": ["Between 0 and 100."]},
        "values": {"min_stars": "3", "min_score": "500"},
        "saved": True,
    },
    "staff/dataset_form.html": {**FORM, "package": None},
    "staff/dataset_manage.html": {
        **FORM,
        "package": {**PACKAGE, "resources": [RESOURCE, {**RESOURCE, "id": "res-2"}]},
        "statuses": {
            "res-1": {
                "status": "complete",
                "rows_done": 10,
                "fields": FIELDS,
                "source": {"notes": ["note"]},
            },
            "res-2": {"status": "running", "rows_done": 5},
        },
        "type_labels": TYPE_LABELS,
        "column_types": COLUMN_TYPES,
        "reports": {
            "res-1": REPORT,
            "res-2": {
                **REPORT,
                "pii": {
                    "blocked": True,
                    "override": {"user_name": "alice", "reason": "Consent."},
                    "report": FINDINGS,
                },
            },
        },
        "standards": STANDARDS,
        "is_admin": True,
        "page_errors": {"pii": ["Blocked."]},
        "versions": {"res-1": VERSIONS, "res-2": [FAILED_VERSION, *VERSIONS[1:]]},
    },
    "staff/members.html": {
        "org": ORG,
        "errors": {},
        "invited": "new@example.jp",
        "invite_errors": {"email": ["Already registered."]},
    },
    "staff/password.html": {
        "errors": {"old_password": ["Wrong."]},
        "changed": True,
        "min_length": 8,
    },
    "user/forgot.html": {"sent": False, "error": None, "value": "alice", "hours": 2},
    "user/reset.html": {
        "account": {"name": "alice"},
        "key": "secret",
        "errors": {"password2": ["Do not match."]},
        "min_length": 8,
    },
    "user/invite.html": {
        "account": {"email": "alice@example.jp"},
        "key": "secret",
        "values": {"name": "alice", "fullname": "Alice"},
        "errors": {"name": ["Taken."]},
        "min_length": 8,
    },
    "user/done.html": {
        "heading": "パスワードを再設定しました",
        "notice": "新しいパスワードでログインしてください。"
        "ほかのブラウザーや端末でのログインは終了しました。",
    },
    "user/link_invalid.html": {},
    "staff/harvest.html": {
        "sources": [HARVEST_SOURCE, {**HARVEST_SOURCE, "active": False, "status": None}],
        "can_create": True,
        **HARVEST_LABELS,
    },
    "staff/harvest_form.html": {
        "source": HARVEST_SOURCE,
        "values": {**HARVEST_SOURCE, "local_fields": ["notes"], "withdraw_after_days": 7},
        "errors": {"url": ["Must be an http(s) URL."], "config_extra": ["Not JSON."]},
        "orgs": [ORG],
        **HARVEST_LABELS,
    },
    "staff/harvest_source.html": {
        "source": HARVEST_SOURCE,
        "values": {
            "organizations": "sample-city",
            "tags": "disaster",
            "withdraw_after_days": 7,
            "local_fields": ["notes", "tags"],
        },
        "jobs": [HARVEST_JOB, {**HARVEST_JOB, "job_status": "error", "mode": "incremental"}],
        "can_manage": True,
        "refused": "1",
        **HARVEST_LABELS,
    },
    "staff/harvest_job.html": {
        "source": HARVEST_SOURCE,
        "job": {
            **HARVEST_JOB,
            "job_status": "running",
            "progress": {"message": "12 records read"},
            "message": "Timed out.",
            "errors": [
                {"key": "x1", "title": "Shelters", "stage": s, "message": "No title."}
                for s in ("gather", "import", "withdraw")
            ],
        },
        "page": 1,
        "pages": 2,
        "first_error": 1,
        "can_manage": True,
        **HARVEST_LABELS,
    },
    "staff/tokens.html": {
        "tokens": [{"id": "t1", "name": "script", "created_at": "2024-04-01", "last_access": None}],
        "new_token": "secret-token",
    },
    "staff/following.html": {
        "me": {"email": "", "activity_streams_email_notifications": True},
        "followees": [
            {"type": "dataset", "display_name": "Shelters", "dict": PACKAGE, "link": "/dataset/x"},
            {"type": "user", "display_name": "Alice", "dict": {"id": "u1"}, "link": ""},
        ],
        "entries": [
            {
                "timestamp": "2024-04-01T09:00:00",
                "activity_type": t,
                "is_new": t == "changed package",
                "actor": "Alice",
                "title": "Shelters",
                "link": "/dataset/x",
            }
            for t in ("new package", "changed package", "changed organization", "new group")
        ],
        "new_count": 1,
        "saved": True,
    },
    "staff/datasets.html": STAFF_TABLE,
    "staff/bulk_confirm.html": {**BULK, "outcome": BULK_OUTCOME},
    "staff/bulk_result.html": {**BULK, "outcome": BULK_OUTCOME},
}


BATCH_ROWS = [
    {
        "row": 3,
        "label": "Row 3",
        "status": "error",
        "action": "update",
        "title": "Shelters",
        "name": "shelters",
        "standard_id": "evacuation_space",
        "license_id": "cc-by-4.0",
        "frequency": "monthly",
        "guessed": ["title", "name", "standard_id", "license_id"],
        "files": [
            {"name": "a.csv", "change": "replace"},
            {"name": "b.csv", "change": "add"},
            {"name": "c.csv", "change": "unchanged"},
        ],
        "urls": ["https://example.jp/x.csv"],
        "kept_files": ["d.csv"],
        "errors": ["Missing file."],
        "warnings": ["Guessed."],
        "changes": [{"field": "title", "before": "Old", "after": "Shelters"}],
    },
    {
        "row": None,
        "label": "aed.csv",
        "status": "ok",
        "action": "create",
        "title": "AED",
        "name": "aed",
        "guessed": [],
        "files": [{"name": "aed.csv", "change": "add"}],
        "urls": [],
        "kept_files": [],
        "errors": [],
        "warnings": [],
        "changes": [],
        "result": {
            "outcome": "created",
            "dataset_id": "d1",
            "name": "aed",
            "title": "AED",
            "state": "draft",
            "resources": [
                {"id": "r1", "name": "aed.csv", "ingest": "complete", "error": ""},
                {"id": "r2", "name": "b.csv", "ingest": "error", "error": "Not a table."},
            ],
        },
    },
]
BATCH = {
    "id": "batch-1",
    "organization": {"name": "sample-city", "title": "Sample City"},
    "state": "preview",
    "ready": False,
    "error": None,
    "sheet": {"name": "sheet.xlsx", "rows": 2},
    "counts": {"rows": 2, "ok": 1, "error": 1, "create": 1, "update": 1, "files": 4},
    "warnings": ["Column x is not used."],
    "rows": BATCH_ROWS,
    "progress": {"datasets": 1, "rows": 2, "tables": 2, "loaded": 1, "failed": 1, "done": False},
}
PAGES.update(
    {
        "staff/batch.html": {
            "orgs": [ORG],
            "recent": [
                {"id": "batch-1", "owner_org": "org-1", "state": s, "created": "2024-04-01T09:00"}
                | {"counts": {"rows": 2}, "sheet": "sheet.xlsx"}
                for s in ("preview", "queued", "applying", "applied", "failed", "discarded")
            ],
            "org_titles": {"org-1": "Sample City"},
            "errors": {"files": ["bad.zip: unsafe."], "sheet": ["x.pdf: not a sheet."]},
            "values": {"owner_org": "sample-city", "mode": "single", "title": "All"},
            "limits": SimpleNamespace(batch_max_files=200, max_upload_bytes=100 * 1048576),
            "columns": ["title", "file"],
        },
        "staff/batch_preview.html": {"batch": BATCH, "errors": {"rows": ["Row 3: missing."]}},
        "staff/batch_status.html": {"batch": {**BATCH, "state": "applied"}, "errors": {}},
    }
)


# The dashboards (metrics/): English sample data; labels, units and kinds are translated ids.
_STANDARDS = [
    {"id": "aed", "number": "08", "title": "AED locations", "municipalities": 1},
    {"id": "event", "number": "12", "title": "Events", "municipalities": 0},
]
_CARD = {
    "id": "org-1",
    "name": "sample-city",
    "title": "Sample City",
    "kind": "municipality",
    "local_gov_code": "352012",
    "url": "http://testserver/organization/sample-city",
    "datasets": {"public": 3, "private": 1, "draft": None},
    "quality": {"score_mean": 72.5, "stars": {str(n): n for n in range(6)}},
    "freshness": {"scheduled": 2, "overdue": 1},
    "metrics": {"downloads": 12.0},
}
_SCORECARD = {
    "metric_columns": [{"key": "downloads", "label": "ダウンロード数（累計）", "unit": "回"}],
    "stars_labels": {str(n): label for n, label in STAR_LABELS.items()},
}
PAGES.update(
    {
        "dashboard/index.html": {},
        "dashboard/coverage.html": {
            "matrix": {
                "standards": _STANDARDS,
                "municipalities": [
                    {
                        "name": "sample-city",
                        "title": "Sample City",
                        "covered": 1,
                        "cells": [
                            {"standard": "aed", "count": 1, "datasets": [PACKAGE]},
                            {"standard": "event", "count": 0, "datasets": []},
                        ],
                    }
                ],
                "covered": 1,
                "cells": 2,
            }
        },
        "dashboard/organizations.html": {
            "answer": {**_SCORECARD, "organizations": [_CARD]},
            "kind": "all",
            "kinds": {
                "all": "すべての組織",
                "prefecture": "県（本庁・部局）",
                "municipality": "市区町村",
            },
            "kind_labels": {"municipality": "市区町村"},
        },
        "dashboard/organization.html": {
            "card": {**_CARD, **_SCORECARD},
            "kinds": {"municipality": "市区町村"},
        },
    }
)


# The plan pages (plan/): an English sample plan; statuses, directions and categories are ids.
_PLAN_PROGRESS = {
    "status": "on_track",
    "label": "順調",
    "latest_value": 152.0,
    "latest_text": "152",
    "latest_date": "2021-03-31",
    "expected": 150.0,
    "percent": 30.0,
    "reason": "Ahead of the line.",
}
_PLAN_INDICATOR = {
    "id": "ind-1",
    "plan_id": "plan-1",
    "measure_id": "m-1",
    "node_id": None,
    "name": "Open datasets",
    "unit": "sets",
    "scope": "Prefecture",
    "direction": "increase",
    "direction_label": "増やす",
    "definition": "",
    "note": "",
    "baseline": "140",
    "baseline_value": 140.0,
    "baseline_qualifier": "",
    "baseline_period": "FY2019",
    "baseline_fiscal_year": 2019,
    "baseline_fiscal_year_label": "FY2019",
    "baseline_date": "2020-03-31",
    "target": "560",
    "target_value": 560.0,
    "target_qualifier": "",
    "target_period": "FY2022",
    "target_fiscal_year": 2022,
    "target_fiscal_year_label": "FY2022",
    "target_date": "2023-03-31",
    "metric_key": "datasets_public",
    "metric_params": {"kind": "all"},
    "metric_label": "Public datasets",
    "progress": _PLAN_PROGRESS,
    "yearly": [{"fiscal_year": 2020, "label": "FY2020", "date": "2021-03-31", "value": 152.0}],
    "values": [
        {
            "id": "v-1",
            "date": "2021-03-31",
            "fiscal_year": 2020,
            "fiscal_year_label": "FY2020",
            "period": "FY2020",
            "value": 152.0,
            "qualifier": "",
            "text": "152",
            "source": "Survey",
            "note": "",
        }
    ],
    "can_record": True,
}
_PLAN_YEARS = [{"fiscal_year": y, "label": f"FY{y}", "short": f"FY{y}"} for y in (2020, 2021, 2022)]
_PLAN_NODE = {
    "id": "n-1",
    "parent_id": None,
    "level": 0,
    "level_name": "Pillar",
    "number": "I",
    "title": "Use of data",
    "description": "",
    "key": "I",
    "position": 1,
    "indicators": [{**_PLAN_INDICATOR, "id": "ind-2", "measure_id": None, "node_id": "n-1"}],
}
_PLAN_MEASURE = {
    "id": "m-1",
    "plan_id": "plan-1",
    "node_id": "n-1",
    "number": "1",
    "name": "Open data",
    "summary": "Publish the data.",
    "departments": ["ICT Office"],
    "organizations": ["sample-city"],
    "categories": ["opendata"],
    "category_labels": ["Open data"],
    "note": "",
    "position": 1,
    "stages": [{"fiscal_year": 2020, "label": "FY2020", "text": "Study"}],
    "indicators": [_PLAN_INDICATOR],
}
_PLAN = {
    "id": "plan-1",
    "name": "sample-plan",
    "title": "Sample Plan",
    "description": "A plan.",
    "owner_org": "sample-city",
    "organization": {"id": "org-1", "name": "sample-city", "title": "Sample City"},
    "period_start": 2020,
    "period_end": 2022,
    "period_label": "FY2020-FY2022",
    "fiscal_years": _PLAN_YEARS,
    "level_names": ["Pillar", "Measure"],
    "evaluation": "Reviewed yearly.",
    "source_url": "https://example.jp/plan",
    "published": False,
    "state": "active",
    "revisions": [
        {"kind": "Adopted", "date": "2020-03-31", "date_label": "March 2020", "version": "1.0"}
    ],
    "nodes": [_PLAN_NODE],
    "measures": [_PLAN_MEASURE],
    "num_measures": 1,
    "num_indicators": 2,
    "can_edit": True,
}
_PLAN_HISTORY = [{"timestamp": "2024-04-01T09:00:00", "data": {"summary": "Created."}}]
_PLAN_BOARD = {
    **{k: v for k, v in _PLAN.items() if k not in ("nodes", "measures")},
    "rule": "Rule.",
    "rule_en": "Rule.",
    "statuses": [
        {"status": s, "label": s, "count": 1}
        for s in ("achieved", "on_track", "behind", "qualitative", "no_data", "unknown")
    ],
    "indicators": [
        {
            **_PLAN_INDICATOR,
            "measure_number": "1",
            "measure_name": "Open data",
            "heading": "I Use of data",
            "years": [
                {
                    "fiscal_year": 2020,
                    "label": "FY2020",
                    "short": "FY2020",
                    "actual": 152.0,
                    "actual_text": "152",
                    "actual_date": "2021-03-31",
                    "expected": 150.0,
                    "baseline": None,
                    "target": None,
                }
            ],
        },
        {
            **_PLAN_INDICATOR,
            "id": "ind-3",
            "measure_number": "",
            "measure_name": "",
            "heading": "I Use of data",
            "progress": {**_PLAN_PROGRESS, "status": "qualitative", "trend": "Up."},
            "years": [],
        },
    ],
}
_PLAN_PREVIEW = {
    "id": "imp-1",
    "plan_id": "plan-1",
    "filename": "measures.xlsx",
    "state": "preview",
    "counts": {
        "rows": 2,
        "errors": 1,
        "notes": 1,
        "headings_created": 1,
        "measures_created": 1,
        "measures_updated": 0,
        "indicators_created": 1,
        "indicators_updated": 0,
        "values_added": 0,
        "values_updated": 0,
    },
    "columns": [
        {"name": "No", "field": "number", "suggested": "number", "samples": ["1", ""]},
        {"name": "Memo", "field": "", "suggested": "measure_note", "samples": []},
    ],
    "choices": [{"field": "", "label": "Not used"}, {"field": "number", "label": "Number"}],
    "problems": [
        {"line": 3, "column": "No", "severity": "error", "message": "Row 3: not read."},
        {"line": 2, "column": "No", "severity": "note", "message": "Row 2: read as 1."},
    ],
    "rows": [
        {"line": 2, "kind": "measure", "number": "1", "name": "Open data", "indicator": ""}
        | {"action": "create", "error": False},
        {"line": 3, "kind": "indicator", "number": "", "name": "", "indicator": "Count"}
        | {"action": "", "error": True},
    ],
    "continue_blank_years": True,
}
_PLAN_METRICS = [
    {
        "key": "datasets_public",
        "label": "公開データセット数",
        "unit": "件",
        "description": "Public datasets.",
        "params": [{"name": "kind", "label": "Kind"}],
    }
]
PAGES.update(
    {
        "plan/list.html": {"plans": [_PLAN]},
        "plan/show.html": {
            "plan": _PLAN,
            "tree": [
                {**_PLAN_NODE, "children": [], "measures": [_PLAN_MEASURE]},
                {"id": "", "title": "", "loose": True, "measures": [_PLAN_MEASURE]},
            ],
            "counts": {"on_track": 1, "qualitative": 1},
            "statuses": {},
            "categories": {},
            "history": _PLAN_HISTORY,
            "rule": "Rule.",
            "rule_en": "Rule.",
            "fy_label": lambda year: f"FY{year}",
        },
        "plan/dashboard.html": {"board": _PLAN_BOARD},
        "plan/staff_list.html": {
            "plans": [_PLAN, {**_PLAN, "published": True, "organization": None}],
            "orgs": [ORG],
            "errors": {"title": ["Missing value."]},
            "values": {"title": "New plan"},
        },
        "plan/staff_plan.html": {
            "plan": _PLAN,
            "history": _PLAN_HISTORY,
            "orgs": [ORG],
            "revision_kinds": ("Adopted", "Revised"),
            "errors": {"period_end": ["Before the start."]},
            "section": "settings",
            "values": {"title": "Sample Plan"},
            "fy_label": lambda year: f"FY{year}",
        },
        "plan/staff_measure.html": {
            "plan": _PLAN,
            "measure": _PLAN_MEASURE,
            "categories": {"opendata": "オープンデータの推進"},
            "directions": {"increase": "増やす", "decrease": "減らす"},
            "errors": {"name": ["Missing value."]},
            "section": "indicator",
            "values": {"name": "Count"},
        },
        "plan/staff_indicator.html": {
            "plan": _PLAN,
            "indicator": _PLAN_INDICATOR,
            "measure": _PLAN_MEASURE,
            "metrics": _PLAN_METRICS,
            "directions": {"increase": "増やす"},
            "errors": {"metric_key": ["Metric not found."]},
            "section": "binding",
            "values": {"metric_key": "datasets_public"},
            "params_text": '{"kind": "all"}',
        },
        "plan/staff_import.html": {"plan": _PLAN, "errors": {"upload": ["Not a table."]}},
        "plan/staff_import_preview.html": {
            "plan": _PLAN,
            "preview": _PLAN_PREVIEW,
            "errors": {},
        },
    }
)


# Data requests and 活用事例 (community/): English sample data, as a request or use case posted in
# English would show; statuses and kinds are translated ids.
_REQUEST = {
    "id": "req-1",
    "title": "AED locations",
    "description": "For a map app.\nSecond line.",
    "status": "published",
    "organization": ORG,
    "dataset": {"id": "pkg-1", "name": "shelters", "title": "Shelters"},
    "answer": "Published as Shelters.",
    "supporters": 3,
    "supported": False,
    "state": "active",
    "created": "2024-04-01T09:00:00",
    "contact_email": "someone@example.jp",
}
_SHOWCASE = {
    "id": "sc-1",
    "name": "shelter-map",
    "title": "Shelter map",
    "notes": "Find shelters on a map.",
    "url": "https://example.jp/map",
    "author": "Sample High School",
    "author_email": "maker@example.jp",
    "kind": "app",
    "state": "pending",
    "image_url": "sc-1-abc.png",
    "metadata_created": "2024-04-01T09:00:00",
    "datasets": [{"name": "shelters", "title": "Shelters", "organization_title": "Sample City"}],
    "review_note": "Not about our data.",
}
_COMMUNITY_STATUSES = {"received": "", "reviewing": "", "published": "", "declined": ""}
_COMMUNITY_FORM = {
    "orgs": [ORG],
    "errors": {"title": ["Missing value."]},
    "notice": "honeypot",
    "honeypot": "website",
}
PAGES.update(
    {
        "community/requests.html": {
            "result": {"count": 1, "results": [_REQUEST, {**_REQUEST, "organization": None}]},
            "statuses": _COMMUNITY_STATUSES,
            "sorts": {"newest": "", "supporters": "", "updated": ""},
            "orgs": [ORG],
            "status": "published",
            "organization": "sample-city",
            "q": "AED",
            "sort": "newest",
            "page": 2,
            "pages": 3,
        },
        "community/request_new.html": {
            **_COMMUNITY_FORM,
            "values": {"title": "AED", "organization": "sample-city"},
            "signed_in": False,
        },
        "community/request.html": {
            "req": {**_REQUEST, "status": "reviewing", "answer": "Under review."},
            "can_handle": True,
            "posted": True,
            "supported_now": True,
        },
        "community/staff_requests.html": {
            "result": {"count": 1, "results": [_REQUEST]},
            "statuses": _COMMUNITY_STATUSES,
            "status": "open",
            "organization": "__unassigned__",
            "orgs": [ORG],
            "q": "",
            "triager": True,
        },
        "community/staff_request.html": {
            "req": {**_REQUEST, "state": "deleted"},
            "can_handle": True,
            "orgs": [ORG],
            "statuses": _COMMUNITY_STATUSES,
            "values": {"status": "declined", "organization": "sample-city", "answer": ""},
            "errors": {"answer": ["A reason is needed."]},
            "saved": True,
        },
        "community/showcases.html": {
            "showcases": [_SHOWCASE],
            "kinds": {"app": "", "analysis": ""},
            "kind": "app",
            "q": "map",
        },
        "community/showcase_new.html": {
            **_COMMUNITY_FORM,
            "values": {"title": "Map", "datasets": ["shelters"]},
            "kinds": {"app": "", "analysis": ""},
            "dataset_fields": 3,
        },
        "community/showcase.html": {"showcase": _SHOWCASE},
        "community/showcase_thanks.html": {"showcase": _SHOWCASE},
        "community/staff_showcases.html": {
            "showcases": [_SHOWCASE],
            "state": "pending",
            "done": "approve",
        },
        "community/staff_showcase.html": {
            "showcase": _SHOWCASE,
            "errors": {"note": ["Too long."]},
        },
    }
)
PAGES["dataset.html"]["showcases"] = [_SHOWCASE]


_MAP_LAYER = {
    "name": "evacuation_space",
    "title": "Evacuation sites",
    "title_en": "Evacuation sites",
    "kind": "standard",
    "built": True,
    "points": 12,
    "datasets": 2,
    "left_off": 1,
    "urls": {
        "geojson": "/map/layers/evacuation_space.geojson",
        "csv": "/map/layers/evacuation_space.csv",
    },
    "filters": [
        {"field": "f1", "title": "Hazard_Flood", "label": "Flood", "group": "Hazard",
         "values": ["1"], "flag": True},
        {"field": "f2", "title": "Childcare", "label": "Childcare", "group": "",
         "values": ["yes", "no"], "flag": False},
    ],
    "municipalities": [{"code": "352012", "name": "Sample City", "points": 12}],
    "sources": [
        {"dataset": "shelters", "dataset_title": "Shelters", "organization_title": "Sample City",
         "url": "/dataset/shelters", "points": 12}
    ],
    "left_off_points": [
        {"dataset": "shelters", "dataset_title": "Shelters", "row": 3, "name": "Hall",
         "lat": 131.0, "lon": 34.0, "reason": reason}
        for reason in ("swapped", "outside_japan", "no_coordinates")
    ],
}  # fmt: skip
_MAP_POINT = {
    "name": "Hall",
    "properties": {"所在地_連結表記": "1-1 Sample Street"},
    "municipality": {"code": "352012", "name": "Sample City"},
    "dataset": {"url": "/dataset/shelters", "title": "Shelters"},
    "distance_m": 1234.5,
}
PAGES.update(
    {
        "map.html": {
            "layers": [_MAP_LAYER],
            "layer": _MAP_LAYER,
            "layer_title": "Evacuation sites",
            "groups": [
                {"title": "Hazard", "flags": True, "items": [_MAP_LAYER["filters"][0]]},
                {"title": "Childcare", "flags": False, "items": [_MAP_LAYER["filters"][1]]},
            ],
            "chosen": {"f1": "1"},
            "municipality": "352012",
            "q": "hall",
            "near": "Sample Street",
            "listed": {"count": 120, "results": [_MAP_POINT]},
            "nearest": {"origin": {"lat": 34.0, "lon": 131.0, "label": "Sample Street"},
                        "results": [_MAP_POINT]},
            "shelters": True,
            "tiles": "",
            "attribution": "GSI tiles",
            "english": True,
            "list_limit": 100,
            "filter_prefix": "f:",
        },
        "staff/map_layers.html": {
            "layers": [_MAP_LAYER, {**_MAP_LAYER, "kind": "staff", "built": False}],
            "problems": [_MAP_LAYER],
            "errors": {"name": ["Taken."], "datasets": ["No points."]},
            "values": {"name": "bus", "title": "Bus stops", "datasets": "bus-stops"},
            "done": "created",
        },
    }
)  # fmt: skip


# Site settings as a sysadmin might set them (config_option_update): their text is the site's
# own, so it is not Japanese UI text.
SITE = SiteOptions(
    title="Sample Open Data",
    description="Open data of the sample prefecture",
    about="About **this** site",
    intro_text="",
    logo="/static/img/logo.png",
    custom_css=".site-title { color: navy; }",
)


def _render(template: str, language: str, values: dict[str, Any]) -> str:
    return environment.get_template(template).render(
        request=_request(),
        _=translator(language),
        lang=language,
        other_lang="ja" if language == "en" else "en",
        user=SimpleNamespace(name="alice") if template.startswith("staff/") else None,
        csrf_token="token",
        site_title="Sample Open Data",
        site=SITE,
        **values,
    )


@pytest.mark.parametrize("template", sorted(PAGES))
def test_english_pages_have_no_japanese_ui_text(template: str) -> None:
    collector = _TextCollector()
    collector.feed(_render(template, "en", PAGES[template]))
    leftovers = sorted({m for text in collector.texts for m in JAPANESE_LETTERS.findall(text)})
    assert not leftovers, f"{template}: Japanese left in the English page: {leftovers}"


@pytest.mark.parametrize("template", ["home.html", "dataset.html", "staff/dataset_manage.html"])
def test_japanese_pages_render_the_ids(template: str) -> None:
    page = _render(template, "ja", PAGES[template])
    assert "データを探す" in page and "Find data" not in page


def test_every_page_template_is_rendered() -> None:
    pages = {
        p.relative_to(extractor.TEMPLATES).as_posix()
        for p in extractor.template_files()
        if not p.name.startswith("_") and p.name != "base.html"
    }
    assert pages <= set(PAGES), f"templates without a rendering test: {sorted(pages - set(PAGES))}"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_ingest_error_status_renders(language: str) -> None:
    values = dict(PAGES["staff/dataset_manage.html"])
    values["statuses"] = {
        **values["statuses"],
        "res-2": {"status": "error", "error": {"message": "bad", "line": 3, "column": "A"}},
    }
    page = _render("staff/dataset_manage.html", language, values)
    assert "bad" in page


def _shelters() -> Any:
    from tsunagu.disaster.shelters import Municipality, Shelter, ShelterList

    hazards = ("災害種別_洪水", "災害種別_地震")
    hall = Shelter("Central Hall", "1-1 Sample Street", hazards, "open", True)
    school = Shelter("", "2-2 Sample Street", ("災害種別_津波",), "closed", False)
    source = {"url": "/dataset/shelters", "dataset_title": "Shelters", "organization_title": "X"}
    city = Municipality("352012", "Sample City", (hall, school), (source,))
    unknown = Municipality("other", "", (school,), ())
    return ShelterList("etag", (city, unknown), city.sources, True, {"352012": city})


_SHELTERS = _shelters()
_CITY = _SHELTERS.municipalities[0]
_HINAN = {
    "q": "?lang=en",
    "amp": "&lang=en",
    "path": "/hinan",
    "on": True,
    "message": "Shelters are open.",
    "updated": "2025-09-01 14:05 JST",
}
PAGES.update(
    {
        "disaster/hinan.html": {
            **_HINAN,
            "shelters": _SHELTERS,
            "inline": True,
            "opened": [(_CITY, [_CITY.shelters[0]])],
            "opened_listed": True,
        },
        "disaster/hinan_municipality.html": {
            **_HINAN,
            "municipality": _CITY,
            "shelters": _CITY.shelters,
            "part": 1,
            "parts": 2,
        },
        "disaster/hinan_missing.html": _HINAN,
    }
)


@pytest.mark.parametrize("inline", [True, False])
def test_english_hinan_index_both_ways(inline: bool) -> None:
    """The 避難場所 index inline and as links, with the open ones counted (disaster/pages.py)."""
    values = {**PAGES["disaster/hinan.html"], "inline": inline, "opened_listed": inline}
    collector = _TextCollector()
    collector.feed(_render("disaster/hinan.html", "en", values))
    leftovers = sorted({m for text in collector.texts for m in JAPANESE_LETTERS.findall(text)})
    assert not leftovers, leftovers
