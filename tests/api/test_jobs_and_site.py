"""Background jobs (job_list/show/cancel/clear over ingest and quality jobs), polling
resource_validation_show until its check has run, and the site settings (config_option_*,
get_site_user, status_show) with the portal showing a change at once, over HTTP with ckanapi."""

from __future__ import annotations

import functools
import io
from typing import Any

import ckanapi
import pytest
import requests
from sqlalchemy import select

from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.accounts.models import User
from tsunagu.jobs.models import Job

CSV = "名称,人数\n市役所,10\n図書館,20\n".encode()
# About 1.9 MB: big enough that its ingest is still loading when it is cancelled.
BIG_CSV = "地区,人数\n".encode() + "東町,10\n".encode() * 170_000
_n = iter(range(1, 10_000))


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> ckanapi.RemoteCKAN:
    ckan = server.ckan(server.make_user("job-admin", sysadmin=True))
    ckan.action.organization_create(name="job-org", title="ジョブの組織")
    return ckan


@pytest.fixture(scope="module")
def editor(server: LiveServer, admin: ckanapi.RemoteCKAN) -> ckanapi.RemoteCKAN:
    token = server.make_user("job-editor")
    admin.action.organization_member_create(id="job-org", username="job-editor", role="editor")
    return server.ckan(token)


def _dataset(admin: ckanapi.RemoteCKAN, **extra: Any) -> dict[str, Any]:
    return dict(
        admin.action.package_create(
            name=f"job-ds-{next(_n)}", title="ジョブ", owner_org="job-org", **extra
        )
    )


def _wait(predicate: Any, what: str) -> Any:
    # A fixed quick poll: some waits must catch a job while it is running.
    return wait_until(predicate, what, every=0.05)


def _parked_job(server: LiveServer, queue: str) -> str:
    """A job in a queue no worker serves: it stays pending."""
    with server.services.sessions() as session:
        job = Job(kind=queue, title="待機中", status="pending", options={}, progress={})
        session.add(job)
        session.commit()
        return job.id


def _validation_answer(
    editor: ckanapi.RemoteCKAN, resource_id: str, seen: list[str]
) -> dict[str, Any]:
    """One answer of resource_validation_show, noted in `seen`; no report before the result."""
    shown = dict(editor.action.resource_validation_show(id=resource_id))
    seen.append(shown["status"])
    if shown["status"] in ("pending", "running"):
        assert shown["report"] is None and shown["checked"] is None
    return shown


def test_validation_show_says_pending_until_the_check_has_run(
    editor: ckanapi.RemoteCKAN, admin: ckanapi.RemoteCKAN
) -> None:
    """Polled over HTTP right after an upload and after the file is replaced: every answer
    before the result exists is pending or running without a report; the first other answer
    is the finished check of the current file."""
    ds = _dataset(admin)
    res = editor.action.resource_create(
        package_id=ds["id"], name="表", upload=("t.csv", io.BytesIO(CSV))
    )
    for _round in range(2):
        seen: list[str] = []
        shown = wait_until(
            functools.partial(_validation_answer, editor, res["id"], seen),
            "the check of the current file to finish",
            until=lambda a: a["status"] not in ("pending", "running"),
            every=0.02,
        )
        assert seen[0] in ("pending", "running"), seen
        assert shown["status"] == "complete" and shown["checked"], shown
        assert shown["report"]["summary"] is not None
        checked = shown["checked"]
        # Replace the file: the old result must not stand for the new file.
        res = editor.action.resource_patch(
            id=res["id"],
            upload=("t2.csv", io.BytesIO(CSV + b"\xe5\x85\xac\xe6\xb0\x91\xe9\xa4\xa8,5\n")),
        )
    assert checked


def test_job_list_shows_ingest_and_quality_jobs_with_status(
    server: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    ds = _dataset(admin)
    res = admin.action.resource_create(
        package_id=ds["id"], name="表", upload=("t.csv", io.BytesIO(CSV))
    )

    def finished_jobs() -> list[dict[str, Any]]:
        jobs = admin.action.job_list(status=["complete"], limit=1000)
        mine = [j for j in jobs if j["object_id"] == res["id"]]
        return mine if {j["queue"] for j in mine} == {"ingest", "quality"} else []

    jobs = _wait(finished_jobs, "the ingest and quality jobs to complete")
    for job in jobs:
        assert set(job) >= {"id", "title", "created", "queue", "status", "progress"}
        assert admin.action.job_show(id=job["id"]) == job
    ingest = next(j for j in jobs if j["queue"] == "ingest")
    assert ingest["progress"]["rows_done"] == 2
    parked = _parked_job(server, "parked")
    pending = admin.action.job_list(queues=["parked"])
    assert [j["id"] for j in pending] == [parked] and pending[0]["status"] == "pending"
    assert admin.action.job_list(queues="parked,other")[0]["id"] == parked


def test_job_cancel_and_clear(server: LiveServer, admin: ckanapi.RemoteCKAN) -> None:
    first = _parked_job(server, "cancel-me")
    second = _parked_job(server, "clear-me")
    third = _parked_job(server, "clear-me")
    cancelled = admin.action.job_cancel(id=first)
    assert cancelled["status"] == "cancelled" and cancelled["finished"]
    with pytest.raises(ckanapi.ValidationError):
        admin.action.job_cancel(id=first)  # already finished
    assert admin.action.job_clear(queues=["clear-me"]) == ["clear-me"]
    assert {admin.action.job_show(id=j)["status"] for j in (second, third)} == {"cancelled"}
    with pytest.raises(ckanapi.NotFound):
        admin.action.job_show(id="no-such-job")
    with pytest.raises(ckanapi.NotFound):
        admin.action.job_cancel(id="no-such-job")
    with pytest.raises(ckanapi.ValidationError):
        admin.action.job_list(status=["finished-ish"])


def test_a_running_ingest_stops_when_cancelled(
    server: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    ds = _dataset(admin)
    res = admin.action.resource_create(
        package_id=ds["id"], name="大きな表", upload=("big.csv", io.BytesIO(BIG_CSV))
    )

    def running() -> dict[str, Any] | None:
        jobs = admin.action.job_list(queues=["ingest"], status=["running"])
        return next((j for j in jobs if j["object_id"] == res["id"]), None)

    job = _wait(running, "the ingest job to be running")
    asked = admin.action.job_cancel(id=job["id"])
    assert asked["cancel_requested"] is True
    done = _wait(
        lambda: (shown := admin.action.job_show(id=job["id"]))["status"] != "running" and shown,
        "the cancelled job to stop",
    )
    assert done["status"] == "cancelled", done["error"]
    with pytest.raises(ckanapi.NotFound):  # no table was published
        admin.action.datastore_info(id=res["id"])


@pytest.mark.parametrize("action", ["job_list", "job_show", "job_cancel", "job_clear"])
def test_jobs_are_for_sysadmins_only(
    server: LiveServer, editor: ckanapi.RemoteCKAN, action: str
) -> None:
    parked = _parked_job(server, "sysadmin-only")
    for caller in (editor, server.ckan()):
        with pytest.raises(ckanapi.NotAuthorized):
            getattr(caller.action, action)(id=parked)
    with server.services.sessions() as session:
        job = session.get(Job, parked)
        assert job is not None and job.status == "pending"


def test_config_options_change_the_portal_at_once(
    server: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    assert admin.action.config_option_list() == [
        "ckan.site_title",
        "ckan.site_description",
        "ckan.site_about",
        "ckan.site_intro_text",
        "ckan.site_logo",
        "ckan.site_custom_css",
    ]
    changes = {
        "ckan.site_title": "山口県オープンデータ",
        "ckan.site_description": "県と市町のデータ",
        "ckan.site_about": "# このサイト\n\n**山口県**が運営しています。",
        "ckan.site_intro_text": "ようこそ",
        "ckan.site_logo": "/static/img/logo.png",
        "ckan.site_custom_css": ".site-title { color: #004080; }",
    }
    assert admin.action.config_option_update(**changes) == changes
    for key, value in changes.items():
        assert admin.action.config_option_show(key=key) == value
    status = server.ckan().action.status_show()
    assert (status["site_title"], status["site_description"]) == (
        "山口県オープンデータ",
        "県と市町のデータ",
    )
    home = requests.get(f"{server.url}/", timeout=10).text
    assert "<title>山口県オープンデータ</title>" in home
    assert 'content="県と市町のデータ"' in home and "ようこそ" in home
    assert 'src="/static/img/logo.png"' in home
    about = requests.get(f"{server.url}/about", timeout=10).text
    assert "<strong>山口県</strong>" in about
    assert 'href="/site/custom.css?v=' in home
    css = requests.get(f"{server.url}/site/custom.css", timeout=10)
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["x-content-type-options"] == "nosniff"
    assert css.text == changes["ckan.site_custom_css"]
    assert "style-src 'self'" in css.headers["content-security-policy"]
    assert "<style" not in home  # never inline: the CSP forbids inline styles


def test_config_option_update_refuses_unsafe_or_unknown_values(
    server: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    before = admin.action.config_option_show(key="ckan.site_custom_css")
    bad = [
        {"ckan.site_custom_css": "</style><script>alert(1)</script>"},
        {"ckan.site_logo": "https://evil.example/logo.png"},
        {"ckan.site_logo": "//evil.example/logo.png"},
        {"ckan.site_title": ""},
        {"ckan.site_title": "x" * 201},
        {"ckan.site_url": "https://evil.example"},
        {"ckan.site_title": "新", "not.an.option": "x"},
    ]
    for change in bad:
        with pytest.raises(ckanapi.ValidationError):
            admin.action.config_option_update(**change)
    assert admin.action.config_option_show(key="ckan.site_custom_css") == before
    with pytest.raises(ckanapi.ValidationError):
        admin.action.config_option_show(key="ckan.site_url")
    home = requests.get(f"{server.url}/", timeout=10).text
    assert "evil.example" not in home and "<script>alert" not in home


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.action.config_option_list(),
        lambda c: c.action.config_option_show(key="ckan.site_title"),
        lambda c: c.action.config_option_update(**{"ckan.site_title": "乗っ取り"}),
        lambda c: c.action.get_site_user(),
    ],
)
def test_site_settings_are_for_sysadmins_only(
    server: LiveServer, editor: ckanapi.RemoteCKAN, call: Any
) -> None:
    for caller in (editor, server.ckan()):
        with pytest.raises(ckanapi.NotAuthorized):
            call(caller)
    assert server.ckan().action.status_show()["site_title"] != "乗っ取り"


def test_get_site_user(admin: ckanapi.RemoteCKAN, server: LiveServer) -> None:
    first = admin.action.get_site_user()
    assert first == {"name": "tsunagu-site", "apikey": None}
    assert admin.action.get_site_user() == first
    with server.services.sessions() as session:  # no password: nobody signs in as the site
        user = session.scalar(select(User).where(User.name == "tsunagu-site"))
        assert user is not None and user.sysadmin and user.password_hash == ""
