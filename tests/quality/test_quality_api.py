"""The quality capability end to end: ckanapi against a live server, on SQLite and PostgreSQL.

Upload a broken 避難場所 CSV → the report names the rows and columns; auto-fix → the derived
resource validates clean; stars and score show in package_show, facets and `fq`; the
personal-data guard blocks publishing and an org admin's written override is recorded.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import ckanapi
import pytest

from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.catalog.models import Resource
from tsunagu.quality.check_queue import queue_check
from tsunagu.quality.gate import run_check
from tsunagu.quality.models import ResourceQuality
from tsunagu.quality.standards import get_standard

EVACUATION = get_standard("evacuation_space")
SHIMONOSEKI = "352012"


def _row(number: int, **changes: str) -> dict[str, str]:
    row = dict.fromkeys(EVACUATION.field_names, "")
    row.update(
        {
            "全国地方公共団体コード": SHIMONOSEKI,
            "ID": f"{number:03d}",
            "名称": f"下関市立第{number}小学校",
            "名称_カナ": f"シモノセキシリツダイ{number}ショウガッコウ",
            "所在地_全国地方公共団体コード": SHIMONOSEKI,
            "所在地_連結表記": f"山口県下関市南部町{number}-1",
            "所在地_都道府県": "山口県",
            "所在地_市区町村": "下関市",
            "緯度": f"{33.95 + number / 1000:.4f}",
            "経度": f"{130.94 + number / 1000:.4f}",
            "標高": "5",
            "電話番号": "083-231-1111",
            "郵便番号": "750-0006",
            "地方公共団体名": "下関市",
            "災害種別_地震": "1",
            "災害種別_津波": "1",
            "想定収容人数": str(100 * number),
        }
    )
    row.update(changes)
    return row


def _csv(rows: list[dict[str, str]], header: list[str], *, title: str | None = None) -> str:
    out = io.StringIO()
    if title:
        out.write(title + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row[name] for name in EVACUATION.field_names])
    return out.getvalue()


def broken_evacuation_csv() -> bytes:
    """What a clerk's Excel export looks like: Shift_JIS, a title row, a near-miss column name,
    full-width digits, a separator, a 機種依存文字 and a placeholder (all fixable)."""
    header = ["名称（カナ）" if n == "名称_カナ" else n for n in EVACUATION.field_names]
    rows = [
        _row(1),
        _row(2, 想定収容人数="１２０"),  # line 4
        _row(3, 名称="下関市立第③小学校"),  # line 5
        _row(4, 想定収容人数="1,200"),  # line 6
        _row(5, 標高="－"),  # line 7
    ]
    return _csv(rows, header, title="指定緊急避難場所一覧（令和6年4月1日現在）").encode("cp932")


def clean_evacuation_csv() -> bytes:
    return ("\ufeff" + _csv([_row(n) for n in range(1, 4)], EVACUATION.field_names)).encode()


PERSONAL_CSV = "氏名,携帯電話,住所\n山田 太郎,090-1234-5678,山口県下関市南部町1-2-3\n".encode()
AED_CSV = (
    "名称,所在地_連結表記,緯度,経度,設置位置,電話番号\n"
    "下関市役所,山口県下関市南部町1-1,33.9561,130.9411,1階ロビー,083-231-1111\n"
    "唐戸市場,山口県下関市唐戸町5-50,33.9577,130.9453,事務所前,083-231-0001\n"
).encode()


def checked(ckan: ckanapi.RemoteCKAN, resource_id: str) -> dict[str, Any]:
    return wait_until(
        lambda: ckan.action.resource_validation_show(id=resource_id),
        f"the quality check of {resource_id}",
        until=lambda shown: shown.get("checked"),
    )


def findings(report: dict[str, Any], rule: str) -> list[tuple[int | None, str | None]]:
    return [
        (f.get("row"), f.get("column")) for f in report["report"]["findings"] if f["rule"] == rule
    ]


@pytest.fixture(scope="module")
def site(server: LiveServer) -> dict[str, ckanapi.RemoteCKAN]:
    sysadmin = server.ckan(server.make_user("q-sysadmin", sysadmin=True))
    sysadmin.action.organization_create(
        name="shimonoseki", title="下関市", kind="municipality", local_gov_code=SHIMONOSEKI
    )
    roles = {}
    for role in ("editor", "admin"):
        roles[role] = server.ckan(server.make_user(f"q-{role}"))
        sysadmin.action.organization_member_create(
            id="shimonoseki", username=f"q-{role}", role=role
        )
    return {"sysadmin": sysadmin, **roles, "anonymous": server.ckan(None)}


def new_dataset(ckan: ckanapi.RemoteCKAN, name: str, **extra: Any) -> dict[str, Any]:
    return ckan.action.package_create(
        name=name, title=name, owner_org="shimonoseki", license_id="cc-by-4.0", **extra
    )


def upload(
    ckan: ckanapi.RemoteCKAN, package: str, filename: str, content: bytes, **extra: Any
) -> dict[str, Any]:
    return ckan.action.resource_create(
        package_id=package, name=filename, upload=(filename, io.BytesIO(content)), **extra
    )


# -- standards ------------------------------------------------------------------------------


def test_standards_are_listed_and_shown(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    anonymous = site["anonymous"]
    listed = anonymous.action.quality_standard_list()
    assert len(listed) >= 15
    assert {"evacuation_space", "aed", "public_facility"} <= {s["id"] for s in listed}
    shown = anonymous.action.quality_standard_show(id="03")
    assert shown["id"] == "evacuation_space"
    assert [f["name"] for f in shown["schema"]["fields"]] == EVACUATION.field_names
    assert shown["source"]["version"]
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.quality_standard_show(id="no-such-standard")


def test_unknown_declared_standard_is_refused(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    editor = site["editor"]
    new_dataset(editor, "q-unknown-standard")
    with pytest.raises(ckanapi.ValidationError) as refused:
        upload(editor, "q-unknown-standard", "x.csv", clean_evacuation_csv(), standard="避難所2")
    assert "standard" in refused.value.error_dict
    assert editor.action.package_show(id="q-unknown-standard")["num_resources"] == 0


# -- report, auto-fix, rating -------------------------------------------------------------------


def test_broken_file_report_autofix_and_rating(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    editor = site["editor"]
    new_dataset(editor, "q-evacuation")
    resource = upload(
        editor, "q-evacuation", "hinan.csv", broken_evacuation_csv(), standard="evacuation_space"
    )
    report = checked(editor, resource["id"])
    assert report["status"] == "complete"
    assert report["standard"] == "evacuation_space" and report["standard_guessed"] is False
    assert report["rows"] == 5
    assert findings(report, "file.encoding")
    assert findings(report, "layout.title_row") == [(1, None)]
    assert findings(report, "schema.misnamed_column") == [(None, "名称（カナ）")]
    assert (4, "想定収容人数") in findings(report, "cells.fullwidth")
    assert findings(report, "cells.platform_dependent") == [(5, "名称")]
    assert (6, "想定収容人数") in findings(report, "cells.number_format")
    assert findings(report, "cells.placeholder") == [(7, "標高")]
    for finding in report["report"]["findings"]:
        assert finding["message"] and finding["severity"] in ("error", "warning", "info")

    fixed = editor.action.resource_autofix(id=resource["id"])
    derived = fixed["resource"]
    assert derived["derived_from"] == resource["id"]
    assert derived["format"] == "CSV"
    kinds = {c["kind"] for c in fixed["autofix"]["changes"]}
    assert {"encoding", "platform_dependent_char", "column_renamed"} <= kinds
    clean = checked(editor, derived["id"])
    assert clean["status"] == "complete"
    assert clean["standard"] == "evacuation_space"
    assert clean["report"]["summary"]["error"] == 0, clean["report"]["findings"]
    assert clean["report"]["summary"]["warning"] == 0, clean["report"]["findings"]

    package = editor.action.package_show(id="q-evacuation")
    by_id = {r["id"]: r for r in package["resources"]}
    original, copy = by_id[resource["id"]]["quality"], by_id[derived["id"]]["quality"]
    assert original["stars"] == copy["stars"] == 3
    assert copy["score"] > original["score"]
    assert copy["standard"] == "evacuation_space"
    assert package["quality_stars"] == 3
    assert package["quality_score"] == round((original["score"] + copy["score"]) / 2)

    found = editor.action.package_search(
        fq="quality_stars:3 AND quality_standard:evacuation_space",
        **{"facet.field": ["quality_stars", "quality_standard"]},
    )
    assert "q-evacuation" in [p["name"] for p in found["results"]]
    assert found["facets"]["quality_stars"]["3"] >= 1
    assert found["facets"]["quality_standard"]["evacuation_space"] >= 1
    ranged = editor.action.package_search(fq=f"quality_score:[{package['quality_score']} TO 100]")
    assert "q-evacuation" in [p["name"] for p in ranged["results"]]


def test_stars_follow_licence_and_format(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    editor = site["editor"]
    package = new_dataset(
        editor,
        "q-formats",
        resources=[
            {"name": "PDF", "url": "https://example.jp/a.pdf", "format": "PDF"},
            {"name": "Excel", "url": "https://example.jp/a.xlsx", "format": "XLSX"},
            {"name": "RDF", "url": "https://example.jp/a.ttl", "format": "TTL"},
        ],
    )
    assert [r["quality"]["stars"] for r in package["resources"]] == [1, 2, 4]
    assert package["quality_stars"] == 4
    closed = editor.action.package_patch(id="q-formats", license_id="other-closed")
    assert [r["quality"]["stars"] for r in closed["resources"]] == [0, 0, 0]
    assert closed["quality_stars"] == 0


def test_validation_run_on_demand_and_bad_requests(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    editor = site["editor"]
    package = new_dataset(
        editor, "q-on-demand", resources=[{"url": "https://example.jp/x.pdf", "format": "PDF"}]
    )
    resource = upload(editor, "q-on-demand", "clean.csv", clean_evacuation_csv())
    first = checked(editor, resource["id"])
    assert first["standard"] == "evacuation_space" and first["standard_guessed"] is True
    again = editor.action.resource_validation_run(id=resource["id"])
    assert again["checked"] >= first["checked"]
    assert again["report"]["summary"]["error"] == 0
    with pytest.raises(ckanapi.ValidationError):
        editor.action.resource_validation_run(id=package["resources"][0]["id"])
    # A linked file that cannot be fetched (here: a loopback address) is reported, not raised.
    link = editor.action.resource_create(
        package_id="q-on-demand", url="http://127.0.0.1:9/shelters.csv", format="CSV"
    )
    unreachable = editor.action.resource_validation_run(id=link["id"])
    assert unreachable["status"] == "error" and unreachable["error"]
    with pytest.raises(ckanapi.NotFound):
        editor.action.resource_validation_show(id="no-such-resource")
    with pytest.raises(ckanapi.NotAuthorized):
        site["anonymous"].action.resource_validation_run(id=resource["id"])


def test_unreadable_file_gets_a_clear_report(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    editor = site["editor"]
    new_dataset(editor, "q-unreadable")
    resource = upload(editor, "q-unreadable", "empty.csv", "\ufeff\r\n\r\n".encode())
    report = checked(editor, resource["id"])
    assert report["status"] == "error"
    assert report["error"]
    assert findings(report, "file.unreadable")


def test_organization_quality_summary(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    summary = site["anonymous"].action.organization_quality_show(id="shimonoseki")
    assert summary["num_datasets"] >= 1
    assert sum(summary["stars"].values()) == summary["num_datasets"]
    assert summary["score_mean"] is not None


# -- personal data --------------------------------------------------------------------------


def test_personal_data_blocks_a_public_upload(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    editor = site["editor"]
    new_dataset(editor, "q-pii-public")
    with pytest.raises(ckanapi.ValidationError) as refused:
        upload(editor, "q-pii-public", "meibo.csv", PERSONAL_CSV)
    messages = " ".join(refused.value.error_dict["pii"])
    assert "2 行目" in messages and "携帯電話" in messages
    assert "090-1234-5678" not in messages  # the report itself does not leak the number
    assert editor.action.package_show(id="q-pii-public")["num_resources"] == 0


def test_an_editor_cannot_override_but_an_admin_can(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    editor, admin = site["editor"], site["admin"]
    new_dataset(editor, "q-pii-override")
    with pytest.raises(ckanapi.NotAuthorized):
        upload(editor, "q-pii-override", "meibo.csv", PERSONAL_CSV, pii_override_reason="公開可")
    with pytest.raises(ckanapi.ValidationError):
        upload(admin, "q-pii-override", "meibo.csv", PERSONAL_CSV, pii_override_reason="短い")
    resource = upload(
        admin,
        "q-pii-override",
        "meibo.csv",
        PERSONAL_CSV,
        pii_override_reason="本人の同意を得た委員名簿のため公開します",
    )
    assert "pii_override_reason" not in resource
    report = admin.action.resource_validation_show(id=resource["id"])
    assert report["pii"]["blocked"] is True
    assert report["pii"]["override"]["reason"] == "本人の同意を得た委員名簿のため公開します"
    assert report["pii"]["override"]["user_name"] == "q-admin"
    history = admin.action.package_activity_list(id="q-pii-override")
    assert "personal data override" in [a["activity_type"] for a in history]
    public_history = site["anonymous"].action.package_activity_list(id="q-pii-override")
    assert "personal data override" not in [a["activity_type"] for a in public_history]
    assert "pii" not in site["anonymous"].action.resource_validation_show(id=resource["id"])


def test_going_public_is_blocked_until_overridden(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    editor, admin = site["editor"], site["admin"]
    new_dataset(editor, "q-pii-private", private=True)
    resource = upload(editor, "q-pii-private", "meibo.csv", PERSONAL_CSV)
    with pytest.raises(ckanapi.ValidationError) as refused:
        editor.action.package_patch(id="q-pii-private", private=False)
    assert "pii" in refused.value.error_dict
    assert editor.action.package_show(id="q-pii-private")["private"] is True
    with pytest.raises(ckanapi.NotAuthorized):
        editor.action.resource_pii_override(id=resource["id"], reason="同意を得ています")
    admin.action.resource_pii_override(id=resource["id"], reason="同意を得た名簿です")
    assert editor.action.package_patch(id="q-pii-private", private=False)["private"] is False
    # A new file needs a new decision.
    with pytest.raises(ckanapi.ValidationError):
        editor.action.resource_update(
            id=resource["id"], upload=("meibo2.csv", io.BytesIO(PERSONAL_CSV + PERSONAL_CSV))
        )


def test_facility_phone_numbers_pass(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    editor = site["editor"]
    new_dataset(editor, "q-aed")
    resource = upload(editor, "q-aed", "aed.csv", AED_CSV)
    report = checked(editor, resource["id"])
    assert report["pii"]["blocked"] is False
    clean = upload(editor, "q-aed", "hinan.csv", clean_evacuation_csv())
    assert checked(editor, clean["id"])["pii"]["blocked"] is False


def test_private_reports_do_not_leak(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    editor = site["editor"]
    new_dataset(editor, "q-private-report", private=True)
    resource = upload(editor, "q-private-report", "hinan.csv", clean_evacuation_csv())
    checked(editor, resource["id"])
    with pytest.raises(ckanapi.NotFound):
        site["anonymous"].action.resource_validation_show(id=resource["id"])
    found = site["anonymous"].action.package_search(
        fq="quality_standard:evacuation_space", rows=1000
    )
    assert "q-private-report" not in [p["name"] for p in found["results"]]


def test_a_check_of_a_replaced_file_is_not_stored(
    server: LiveServer, site: dict[str, ckanapi.RemoteCKAN]
) -> None:
    """An ingest that finishes after its file was replaced must not vouch for the new file."""

    server.act("package_create", {"name": "q-race", "title": "race", "owner_org": "shimonoseki"})
    resource = server.act(
        "resource_create",
        {"package_id": "q-race", "url": "https://example.jp/x.csv", "format": "CSV"},
    )
    with server.services.sessions() as session:
        row = session.get(Resource, resource["id"])
        assert row is not None
        row.url_type, row.hash = "upload", "sha256:" + "0" * 64  # "the new file"
        session.query(ResourceQuality).filter_by(resource_id=row.id).delete()
        session.commit()
    old_file = server.data_dir / "old.csv"
    old_file.write_bytes(clean_evacuation_csv())
    run_check(server.services, resource["id"], old_file)
    with server.services.sessions() as session:
        assert session.get(ResourceQuality, resource["id"]) is None


def _quality_jobs(sysadmin: ckanapi.RemoteCKAN, resource_id: str) -> list[dict[str, Any]]:
    every = ["pending", "running", "complete", "error", "cancelled"]
    jobs = sysadmin.action.job_list(queues=["quality"], status=every, limit=1000)
    return [job for job in jobs if job["object_id"] == resource_id]


def test_a_check_seen_stored_has_ended_its_job_and_a_failing_one_ends_in_error(
    server: LiveServer, site: dict[str, ckanapi.RemoteCKAN]
) -> None:
    """A check's result and its job's end are one commit: the first resource_validation_show
    that gives the result finds no check of the file still queued or running, and the next
    file's check is queued and run at once. A check that fails stores nothing and its job
    ends in error."""
    editor, sysadmin = site["editor"], site["sysadmin"]
    new_dataset(editor, "q-job-end")
    resource = upload(editor, "q-job-end", "aed.csv", AED_CSV)
    more = AED_CSV + "下関駅,山口県下関市竹崎町4-3,33.9497,130.9219,改札横,083-222-0000\n".encode()
    for number, content in enumerate((AED_CSV, more)):
        if number:
            editor.action.resource_patch(id=resource["id"], upload=("aed.csv", io.BytesIO(content)))
        shown = wait_until(
            lambda: editor.action.resource_validation_show(id=resource["id"]),
            f"the check of file {number + 1}",
            until=lambda shown: shown.get("checked"),
            every=0.01,
        )
        jobs = _quality_jobs(sysadmin, resource["id"])
        assert [job["status"] for job in jobs] == ["complete"] * (number + 1)
    assert shown["rows"] == 3

    # A check that fails inside (its copy of the file is a folder): no result, job in error.
    broken = server.data_dir / "q-not-a-file"
    broken.mkdir()
    with server.services.sessions() as session:
        failing = queue_check(session, resource["id"], path=broken).id
        session.commit()
    failed = wait_until(
        lambda: sysadmin.action.job_show(id=failing),
        "the failing check to end",
        until=lambda job: job["status"] not in ("pending", "running"),
    )
    assert failed["status"] == "error" and failed["error"]
    assert editor.action.resource_validation_show(id=resource["id"])["checked"] == shown["checked"]
    with server.services.sessions() as session:
        again = queue_check(session, resource["id"]).id  # the next check: at once, and it runs
        session.commit()
    ended = wait_until(
        lambda: sysadmin.action.job_show(id=again),
        "the next check to end",
        until=lambda job: job["status"] not in ("pending", "running"),
    )
    assert ended["status"] == "complete", ended["error"]
    assert editor.action.resource_validation_show(id=resource["id"])["checked"] > shown["checked"]


LINKED_TTL = b"""@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix schema: <http://schema.org/> .
<https://data.example.lg.jp/facility/1> a schema:Place ;
    schema:name "\xe4\xb8\x8b\xe9\x96\xa2\xe5\xb8\x82\xe5\xbd\xb9\xe6\x89\x80" ;
    owl:sameAs <http://ja.dbpedia.org/resource/Shimonoseki> .
"""
UNLINKED_TTL = b"""@prefix schema: <http://schema.org/> .
<https://data.example.lg.jp/facility/1> a schema:Place ;
    schema:containedIn <https://data.example.lg.jp/city/352012> .
"""


def test_rdf_links_earn_the_fifth_star(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    editor = site["editor"]
    new_dataset(editor, "q-rdf")
    linked = upload(editor, "q-rdf", "linked.ttl", LINKED_TTL, format="TTL")
    plain = upload(editor, "q-rdf", "plain.ttl", UNLINKED_TTL, format="TTL")
    broken = upload(editor, "q-rdf", "broken.ttl", b"<not rdf", format="TTL")
    stars = {
        r["id"]: r["quality"]["stars"] for r in editor.action.package_show(id="q-rdf")["resources"]
    }
    assert stars == {linked["id"]: 5, plain["id"]: 4, broken["id"]: 4}
    report = editor.action.resource_validation_show(id=linked["id"])
    assert report["report"]["rdf"]["links"] == 1
    assert report["report"]["rdf"]["examples"] == ["http://ja.dbpedia.org/resource/Shimonoseki"]
    failed = editor.action.resource_validation_show(id=broken["id"])
    assert failed["status"] == "error" and "RDF" in failed["error"]
    with pytest.raises(ckanapi.ValidationError):
        editor.action.resource_autofix(id=linked["id"])
