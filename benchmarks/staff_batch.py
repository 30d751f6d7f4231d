"""The ``batch`` part of benchmarks/staff.py: 30 standard files and a metadata sheet, sent
through the many-files-at-once page, until every datastore table is loaded and queryable
(issue 15: ≤ 60 s).

It needs the ingest and quality workers, which the staff table's server runs without, so it
starts a server of its own (``uvicorn tsunagu.asgi:app``, 1 worker, 1 ingest worker, SQLite) on
an empty catalog with one prefecture organisation and one editor. Each run sends the files of
two other municipalities (their names carry the municipality's code, so every run makes new
datasets), exactly as a browser does: the form's POST with 30 files and the sheet, then the
"create" button's POST, then ``batch_status`` polled every 0.25 s; at the end each table is
queried with ``datastore_search``. Phases are timed from the client; nothing is sampled inside
the server.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import httpx
from runrecord import stats

import search
from tsunagu.bootstrap import action_context, build_services
from tsunagu.config import Settings
from tsunagu.demo.standard_bundle import metadata_sheet, standard_files
from tsunagu.registry import call_action
from tsunagu.storage.migrate import upgrade

TARGET_SECONDS = 60.0
ORG = "bench-prefecture"
CLERK = "bench-clerk"
CLERK_PASSWORD = "bench-clerk-password-0000"
# Municipalities the demo has every generator for, two per run.
PAIRS = [
    ("shimonoseki-city", "yamaguchi-city"),
    ("hagi-city", "iwakuni-city"),
    ("nagato-city", "mine-city"),
]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _catalog(data_dir: Path) -> search.Catalog:
    """An empty catalog with the organisation, a 防災 category and an editor (with a token)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    db_path = data_dir / "tsunagu.db"
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{db_path}")
    services = build_services(settings)
    upgrade(services.engine)
    with action_context(services, ignore_auth=True) as context:
        call_action(
            "organization_create",
            context,
            {"name": ORG, "title": "山口県", "kind": "prefecture", "local_gov_code": "350001"},
        )
        call_action("group_create", context, {"name": "bousai", "title": "防災"})
        call_action(
            "user_create",
            context,
            {"name": CLERK, "email": "clerk@example.jp", "password": CLERK_PASSWORD},
        )
    with action_context(services, ignore_auth=True) as context:
        call_action(
            "organization_member_create", context, {"id": ORG, "username": CLERK, "role": "editor"}
        )
        token = call_action("api_token_create", context, {"user": CLERK, "name": "bench"})
    services.engine.dispose()
    return search.Catalog(
        db_path=db_path, data_dir=data_dir, datasets=0, token=token["token"], public_names=[]
    )


def _csrf(client: httpx.Client, path: str) -> str:
    found = _CSRF.search(client.get(path).text)
    if found is None:
        raise RuntimeError(f"{path} has no form")
    return found.group(1)


def _sign_in(client: httpx.Client) -> None:
    """Sign the clerk in through the form, as a browser; the client's cookie jar then follows
    the session as pages add their CSRF token to it."""
    answer = client.post(
        "/user/login",
        data={
            "csrf_token": _csrf(client, "/user/login"),
            "name": CLERK,
            "password": CLERK_PASSWORD,
        },
    )
    if answer.status_code != 303:
        raise RuntimeError(f"signing in: {answer.status_code}")


def _status(client: httpx.Client, token: str, batch_id: str) -> dict[str, Any]:
    answer = client.get(
        "/api/3/action/batch_status", params={"id": batch_id}, headers={"Authorization": token}
    )
    answer.raise_for_status()
    return dict(answer.json()["result"])


def one_run(url: str, token: str, slugs: tuple[str, str]) -> dict[str, Any]:
    files = standard_files(slugs)
    sheet = metadata_sheet(list(files), category="防災")
    timings: dict[str, float] = {}
    with httpx.Client(base_url=url, timeout=300) as client:
        _sign_in(client)
        csrf = _csrf(client, "/staff/batch")
        parts = [("files", (name, content, "text/csv")) for name, content in files.items()]
        parts.append(("sheet", ("metadata.xlsx", sheet, "application/octet-stream")))
        started = time.perf_counter()
        answer = client.post(
            "/staff/batch", data={"csrf_token": csrf, "owner_org": ORG}, files=parts
        )
        timings["upload_preview"] = time.perf_counter() - started
        if answer.status_code != 303:
            raise RuntimeError(f"upload: {answer.status_code} {answer.text[:500]}")
        batch_id = answer.headers["location"].rsplit("/", 1)[-1]
        preview = _status(client, token, batch_id)
        if not preview["ready"] or preview["counts"]["ok"] != len(files):
            raise RuntimeError(f"the preview is not ready: {preview['counts']}")
        csrf = _csrf(client, f"/staff/batch/{batch_id}")
        mark = time.perf_counter()
        answer = client.post(f"/staff/batch/{batch_id}/apply", data={"csrf_token": csrf})
        timings["apply_request"] = time.perf_counter() - mark
        if answer.status_code != 303:
            raise RuntimeError(f"apply: {answer.status_code} {answer.text[:500]}")
        deadline = time.monotonic() + 600
        while True:
            batch = _status(client, token, batch_id)
            now = time.perf_counter()
            if batch["state"] == "applied" and "drafts_made" not in timings:
                timings["drafts_made"] = now - started
            if batch["state"] == "failed":
                raise RuntimeError(f"the batch failed: {batch['error']}")
            if batch["progress"]["done"]:
                timings["loaded"] = now - started
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"not done after 600 s: {batch['progress']}")
            time.sleep(0.25)
        queryable = 0
        for row in batch["rows"]:
            for resource in row["result"]["resources"]:
                answer = client.get(
                    "/api/3/action/datastore_search",
                    params={"resource_id": resource["id"], "limit": 1},
                    headers={"Authorization": token},
                )
                if answer.status_code == 200 and answer.json()["result"]["total"] > 0:
                    queryable += 1
    return {
        "municipalities": list(slugs),
        "files": len(files),
        "bytes": sum(len(c) for c in files.values()) + len(sheet),
        "datasets": batch["progress"]["datasets"],
        "tables": batch["progress"]["tables"],
        "failed": batch["progress"]["failed"],
        "queryable": queryable,
        "seconds": timings,
    }


def part_batch(bench: Any) -> dict[str, Any]:
    """The batch part (see the module docstring); `bench` is staff.py's shared state, whose
    server is not used."""
    data_dir = search.WORK / f"staff-batch-{int(time.time())}"
    catalog = _catalog(data_dir)
    # This server loads tables: the shared one runs with ingest off.
    saved = os.environ.get("TSUNAGU_INGEST_WORKERS")
    os.environ["TSUNAGU_INGEST_WORKERS"] = "1"
    server = search.Server(catalog, workers=1)
    try:
        server.start()
    finally:
        if saved is None:
            os.environ.pop("TSUNAGU_INGEST_WORKERS", None)
        else:
            os.environ["TSUNAGU_INGEST_WORKERS"] = saved
    runs = []
    try:
        for slugs in PAIRS:
            search.log(f"batch: 30 files of {', '.join(slugs)}")
            runs.append(one_run(server.url, catalog.token, slugs))
    finally:
        server.stop()
    totals = [run["seconds"]["loaded"] for run in runs]
    return {
        "target_seconds": TARGET_SECONDS,
        "runs": runs,
        "loaded": stats(totals),
        "met": all(
            run["queryable"] == run["files"] and run["seconds"]["loaded"] <= TARGET_SECONDS
            for run in runs
        ),
    }
