"""The staff page's ingest status in a real browser (static/js/ingest-status.js): when the job
ends it reloads the page once to show the result, unless the user is in the middle of something
there (a file chosen, a field typed in), when it says the job is done and leaves the page alone.

The server of this module runs no ingest worker, so a job stays where the test leaves it: the
test claims it (→ running) and later runs it to its end with the same functions the worker
calls (datastore.jobs.claim_next, datastore.pipeline.run_job), against the server's database.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from support.browser import checked_page, expect
from support.live_server import LiveServer
from tsunagu.datastore.jobs import claim_next
from tsunagu.datastore.models import IngestJob
from tsunagu.datastore.pipeline import run_job

STAFF = "is-staff"
CSV = "地区,人口\n東区,1200\n西区,980\n".encode()
COMPLETE_LATER = {
    "ja": "取り込みが終わりました。ページを再読み込みすると結果が表示されます。",
    "en": "Import finished. Reload the page to see the result.",
}
# What the user has on the page when the job ends, and the file they chose.
CHOSEN = ("next.csv", "text/csv", "地区,世帯数\n東区,500\n".encode())


@pytest.fixture(scope="module")
def site() -> Iterator[LiveServer]:
    with tempfile.TemporaryDirectory(prefix="ingest-status-") as tmp:
        live = LiveServer(
            data_dir=Path(tmp),
            database_url=f"sqlite:///{Path(tmp) / 'tsunagu.db'}",
            overrides={"ingest_workers": 0},  # the tests run each job themselves
        ).start()
        live.token = live.make_user(STAFF)  # type: ignore[attr-defined]
        live.act("organization_create", {"name": "is-city", "title": "取り込み試験市"})
        live.act(
            "organization_member_create", {"id": "is-city", "username": STAFF, "role": "editor"}
        )
        yield live
        live.stop()


@dataclass
class HeldJob:
    """An ingest job the test holds running until it calls finish()."""

    live: LiveServer
    dataset: str
    job_id: str
    finished: bool = field(default=False)

    def finish(self) -> str:
        run_job(self.live.services, self.job_id)
        self.finished = True
        with self.live.services.sessions() as session:
            job = session.get(IngestJob, self.job_id)
            assert job is not None
            return str(job.status)


@pytest.fixture
def held_job(site: LiveServer) -> Iterator[Callable[[str, bytes], HeldJob]]:
    made: list[HeldJob] = []

    def make(name: str, content: bytes) -> HeldJob:
        ckan = site.ckan(site.token)  # type: ignore[attr-defined]
        ckan.action.package_create(name=name, title=f"取り込み状況 {name}", owner_org="is-city")
        resource = ckan.action.resource_create(
            package_id=name, name="表", format="CSV", upload=("table.csv", io.BytesIO(content))
        )
        job_id = claim_next(site.services)
        with site.services.sessions() as session:
            job = session.get(IngestJob, job_id) if job_id else None
            assert job is not None and job.resource_id == resource["id"], (
                "the queue held another job than this test's (one left by an earlier test?)"
            )
            assert job.status == "running"
        held = HeldJob(site, name, job_id)
        made.append(held)
        return held

    yield make
    for held in made:  # a test that failed half-way leaves no job running for the next one
        if not held.finished:
            held.finish()


@pytest.fixture
def page(browser: Any, site: LiveServer) -> Iterator[Any]:
    with checked_page(browser, site.url) as page:
        # Loads of the page itself (not its fetches) and the status requests, to count reloads.
        page.loads = []  # type: ignore[attr-defined]
        page.on(
            "framenavigated",
            lambda frame: page.loads.append(frame.url) if frame == page.main_frame else None,  # type: ignore[attr-defined]
        )
        page.status_requests = []  # type: ignore[attr-defined]
        page.on(
            "request",
            lambda request: (
                page.status_requests.append(request.url)  # type: ignore[attr-defined]
                if "datastore_ingest_status" in request.url
                else None
            ),
        )
        yield page


def open_manage_page(page: Any, dataset: str, lang: str = "ja") -> Any:
    """Sign in, open the dataset's staff page with the job running, and wait until the status
    script follows it; marks the window so that a reload shows (a new window has no mark)."""
    page.goto("/user/login")
    page.get_by_label("ユーザー名").fill(STAFF)
    page.get_by_label("パスワード").fill(f"pw-{STAFF}-0000")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/staff$"))
    page.goto(f"/staff/dataset/{dataset}" + ("?lang=en" if lang == "en" else ""))
    section = page.locator(".ingest-status")
    expect(section).to_have_attribute("data-state", "running")
    expect(section).to_have_attribute("data-ingest-ready", "true")
    page.evaluate("window.__sameWindow = true")
    page.loads.clear()  # type: ignore[attr-defined]
    return section


def same_window(page: Any) -> bool:
    return bool(page.evaluate("window.__sameWindow === true"))


def assert_polling_stopped(page: Any, wait_ms: int) -> None:
    """No status request in ``wait_ms``: nothing fires when nothing happens, so only a quiet
    wait can show it."""
    polls = len(page.status_requests)
    page.wait_for_timeout(wait_ms)
    assert len(page.status_requests) == polls


def chosen_files(page: Any) -> list[str]:
    return list(page.evaluate("Array.from(document.querySelector('#u-file').files, f => f.name)"))


@pytest.mark.parametrize(
    ("lang", "busy"),
    [("ja", "file"), ("en", "file"), ("ja", "typed"), ("ja", "uploading"), ("ja", "refused")],
    ids=str,
)
def test_a_job_ending_while_the_user_is_busy_does_not_reload_the_page(
    page: Any, held_job: Callable[[str, bytes], HeldJob], lang: str, busy: str
) -> None:
    job = held_job(f"is-busy-{lang}-{busy}", CSV)
    section = open_manage_page(page, job.dataset, lang)
    if busy == "file":
        page.locator("#u-file").set_input_files(
            {"name": CHOSEN[0], "mimeType": CHOSEN[1], "buffer": CHOSEN[2]}
        )
    elif busy == "typed":
        page.locator("#u-name").fill("次の表")
    elif busy == "uploading":
        # What upload.js marks a form with while its upload is on the way (a real upload here
        # would also leave its file chosen, which is busy already).
        page.evaluate("document.querySelector('#u-file').form.setAttribute('aria-busy', 'true')")
    else:
        # The errors a refused submit renders (publishing refused, as dataset_manage.html shows
        # them): what the user is reading must not go away under them.
        page.evaluate(
            "document.querySelector('h1').insertAdjacentHTML('afterend',"
            ' \'<div class="error" role="alert"><p>保存できませんでした。</p></div>\')'
        )

    assert job.finish() == "complete"

    expect(section).to_have_attribute("data-state", "complete")
    expect(section.locator(".ingest-text")).to_have_text(COMPLETE_LATER[lang])
    # The message replaces the reload in the same step, so nothing reloads after it.
    assert same_window(page)
    assert page.loads == []  # type: ignore[attr-defined]
    if busy == "file":
        assert chosen_files(page) == [CHOSEN[0]]
    elif busy == "typed":
        expect(page.locator("#u-name")).to_have_value("次の表")
    # The result is not shown until the user reloads: then it is, with no message.
    expect(page.locator(".columns-table")).to_have_count(0)
    page.reload()
    expect(page.locator(".columns-table tbody th")).to_have_text(["地区", "人口"])
    expect(section).to_have_attribute("data-state", "complete")


def test_a_job_ending_while_the_user_is_idle_reloads_the_page_once(
    page: Any, held_job: Callable[[str, bytes], HeldJob]
) -> None:
    job = held_job("is-idle", CSV)
    section = open_manage_page(page, job.dataset)
    assert chosen_files(page) == []

    assert job.finish() == "complete"

    # Only the server renders the detected columns: seeing them means the page reloaded.
    expect(page.locator(".columns-table tbody th")).to_have_text(["地区", "人口"])
    assert not same_window(page)
    expect(section).to_have_attribute("data-state", "complete")
    expect(section.locator(".ingest-text")).to_have_text(re.compile(r"完了：2 行"))
    assert (
        page.evaluate("key => sessionStorage.getItem(key)", f"tsunagu:ingest-reloaded:{job.job_id}")
        == "1"
    )
    # No reload loop: the reloaded page, rendered complete, neither polls nor reloads. Two poll
    # intervals (1 s each) of quiet show it; there is no event to wait for when nothing happens.
    after_reload = len(page.status_requests)  # type: ignore[attr-defined]
    page.wait_for_timeout(2500)
    assert page.loads == [page.url]  # type: ignore[attr-defined]
    assert len(page.status_requests) == after_reload  # type: ignore[attr-defined]


def test_a_job_failing_while_the_user_is_busy_shows_the_error_without_reloading(
    page: Any, held_job: Callable[[str, bytes], HeldJob]
) -> None:
    job = held_job("is-error", b"\n\n\n")  # only blank lines: no table to read
    section = open_manage_page(page, job.dataset)
    page.locator("#u-file").set_input_files(
        {"name": CHOSEN[0], "mimeType": CHOSEN[1], "buffer": CHOSEN[2]}
    )

    assert job.finish() == "error"

    expect(section).to_have_attribute("data-state", "error")
    text = section.locator(".ingest-text")
    expect(text).to_have_text(re.compile(r"^エラー：ファイルが空です"))
    expect(text).to_have_class(re.compile(r"\bis-error\b"))
    expect(section.locator("progress.ingest-progress")).to_be_hidden()
    # An error stops the polling: the page stays, the chosen file with it.
    assert_polling_stopped(page, 1500)
    assert same_window(page)
    assert page.loads == []  # type: ignore[attr-defined]
    assert chosen_files(page) == [CHOSEN[0]]


def test_a_cancelled_job_says_so_and_stops_following(
    page: Any, site: LiveServer, held_job: Callable[[str, bytes], HeldJob]
) -> None:
    job = held_job("is-cancel", CSV)
    section = open_manage_page(page, job.dataset)
    site.act("job_cancel", {"id": job.job_id})  # a sysadmin stops it while it runs

    assert job.finish() == "cancelled"

    expect(section).to_have_attribute("data-state", "cancelled")
    text = section.locator(".ingest-text")
    expect(text).to_have_text("取り込みは取り消されました")
    expect(section.locator("progress.ingest-progress")).to_be_hidden()
    # Nothing changed that a reload would show, and nothing more will happen: no reload, no
    # more polling (a cancelled job used to be followed as if still waiting, for ever).
    assert_polling_stopped(page, 1500)
    assert same_window(page)
    assert page.loads == []  # type: ignore[attr-defined]
    # The page as the server renders it afterwards says the same, and follows nothing.
    page.reload()
    expect(section).to_have_attribute("data-state", "cancelled")
    expect(text).to_have_text("取り込みは取り消されました")
    expect(section.locator("progress.ingest-progress")).to_be_hidden()
    assert_polling_stopped(page, 1000)
