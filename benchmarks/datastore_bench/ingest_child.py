"""Step 3 of the datastore benchmark: the Tsunagu ingest, run in a child process (wall time,
peak RSS, a phase split and a cProfile run)."""

from __future__ import annotations

import contextlib
import cProfile
import json
import os
import pstats
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datastore_bench.config import DATASET, ROOT, SRC, SRC_ENV, WORK
from datastore_bench.helpers import proc_status
from tsunagu.bootstrap import action_context, build_services
from tsunagu.config import Settings
from tsunagu.datastore import pipeline, tables
from tsunagu.datastore.jobs import claim_next
from tsunagu.datastore.models import DatastoreTable, IngestJob
from tsunagu.registry import action_names, call_action
from tsunagu.storage.migrate import upgrade


@dataclass
class Upload:
    filename: str
    file: Any


def prepare_catalog(data_dir: Path, database_url: str, csv_path: Path) -> dict[str, Any]:
    """A migrated catalog with one organisation, one public dataset and the CSV uploaded as a
    resource, made through the actions; its ingest job is left pending (no worker runs here)."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        max_upload_bytes=csv_path.stat().st_size + (1 << 20),
    )
    services = build_services(settings)
    try:
        upgrade(services.engine)
        with action_context(services, ignore_auth=True) as context:
            call_action(
                "organization_create",
                context,
                {"name": "yamaguchi-pref", "title": "山口県", "kind": "other"},
            )
        with action_context(services, ignore_auth=True) as context:
            call_action(
                "package_create",
                context,
                {
                    "name": DATASET,
                    "title": "県内公共施設一覧",
                    "owner_org": "yamaguchi-pref",
                    "license_id": "cc-by-4.0",
                },
            )
        started = time.perf_counter()
        with csv_path.open("rb") as stream, action_context(services, ignore_auth=True) as context:
            resource = call_action(
                "resource_create",
                context,
                {
                    "package_id": DATASET,
                    "name": "公共施設一覧（CSV）",
                    "format": "CSV",
                    "upload": Upload("facilities.csv", stream),
                },
            )
        upload_seconds = time.perf_counter() - started
        with services.sessions() as session:
            pending = session.query(IngestJob).filter_by(status="pending").count()
        if pending != 1:
            raise SystemExit(f"expected one pending ingest job, found {pending}")
    finally:
        services.engine.dispose()
    return {"resource_id": resource["id"], "upload_seconds": upload_seconds}


def run_child(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run this script as `--child` (one ingest in a fresh process, importing spec["src"] or
    the snapshot); returns its report plus the kernel's rusage for it (wait4)."""
    label = spec["mode"] + ("-before" if spec.get("src") else "")
    result_path = WORK / f"child-{label}-{os.getpid()}.json"
    log_path = WORK / f"child-{label}.log"
    result_path.unlink(missing_ok=True)
    spec = {**spec, "result": str(result_path)}
    env = {**os.environ, SRC_ENV: spec.get("src") or str(SRC)}
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "datastore.py"), "--child", json.dumps(spec)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=WORK,
            env=env,
        )
    deadline = time.monotonic() + timeout
    rusage = None
    status = 0
    try:
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"child {spec['mode']} still running after {timeout:.0f} s")
            time.sleep(0.2)
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    if proc.returncode != 0 or not result_path.exists():
        raise RuntimeError(f"child {spec['mode']} failed (exit {proc.returncode}); see {log_path}")
    report = json.loads(result_path.read_text())
    result_path.unlink()
    assert rusage is not None
    # ru_maxrss also counts the pages the child shared with this process between fork and exec,
    # so the child's own VmHWM (peak RSS since exec) is the figure reported.
    report["wait4_maxrss_mb"] = rusage.ru_maxrss / 1024  # KiB on Linux
    report["user_seconds"] = rusage.ru_utime
    report["system_seconds"] = rusage.ru_stime
    return report


class _PhaseClock:
    """Accumulates wall time per phase; wrappers installed from outside the pipeline."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, name: str, fn: Any) -> Any:
        clock = time.perf_counter
        seconds, calls = self.seconds, self.calls

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds[name] += clock() - started
                calls[name] += 1

        return timed

    def rows(self, name: str, rows: Any) -> Any:
        clock = time.perf_counter
        iterator = iter(rows)
        total = 0.0
        while True:
            started = clock()
            try:
                row = next(iterator)
            except StopIteration:
                total += clock() - started
                break
            total += clock() - started
            yield row
        self.seconds[name] += total


class _TimedSqlite(sqlite3.Connection):
    """sqlite3 connection that times executemany (the bulk insert of each batch)."""

    clock: _PhaseClock | None = None

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:  # type: ignore[override]
        started = time.perf_counter()
        try:
            return super().executemany(sql, parameters)
        finally:
            if _TimedSqlite.clock is not None:
                _TimedSqlite.clock.seconds["insert: sqlite executemany"] += (
                    time.perf_counter() - started
                )


def _instrument(clock: _PhaseClock) -> None:
    """Phase timers around the pipeline's own functions (the pipeline is not edited)."""
    from sqlalchemy import event

    import tsunagu.storage.database as database

    _TimedSqlite.clock = clock
    real_create_engine = database.create_engine

    def create_engine(url: Any, **kwargs: Any) -> Any:
        if str(url).startswith("sqlite"):
            kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "factory": _TimedSqlite}
        engine = real_create_engine(url, **kwargs)

        @event.listens_for(engine, "before_cursor_execute")
        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            conn.info["bench_started"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            seconds = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
            head = statement.lstrip()[:40].upper()
            upper = statement.upper()
            if head.startswith("CREATE INDEX") and " GIN " in upper:
                clock.seconds["index: trigram GIN"] += seconds
            elif head.startswith("CREATE INDEX"):
                clock.seconds["index: B-tree indexes"] += seconds
            elif "('REBUILD')" in upper or head.startswith("CREATE VIRTUAL"):
                clock.seconds["index: FTS5 trigram build"] += seconds

        return engine

    database.create_engine = create_engine  # type: ignore[assignment]
    real_read_table = pipeline.read_table

    def read_table(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        raw = real_read_table(*args, **kwargs)
        clock.seconds["read: open, sniff, layout"] += time.perf_counter() - started
        raw.rows = clock.rows("read: decode + csv + body rows", raw.rows)
        return raw

    pipeline.read_table = read_table  # type: ignore[assignment]
    if hasattr(pipeline, "convert_row"):  # per-cell conversion, before batches came
        pipeline.convert_row = clock.wrap("convert: convert_row", pipeline.convert_row)  # type: ignore[attr-defined]
    pipeline.infer_types = clock.wrap("infer: infer_types on the sample", pipeline.infer_types)  # type: ignore[assignment]
    # The batch loop: `_insert_all` (reads and converts lazily inside), `_flush` before it.
    for loop in ("_insert_all", "_flush"):
        if hasattr(pipeline, loop):
            setattr(pipeline, loop, clock.wrap(loop, getattr(pipeline, loop)))
    pipeline._publish = clock.wrap("_publish", pipeline._publish)  # type: ignore[assignment]
    tables.insert_rows = clock.wrap("insert_rows", tables.insert_rows)  # type: ignore[assignment]
    tables.build_indexes = clock.wrap("build_indexes", tables.build_indexes)  # type: ignore[assignment]


def _time_ingest_listeners() -> dict[str, float]:
    """Time what other capabilities do when an ingest finishes (`events.ingest_finished`,
    called inside `run_job`: the quality checks read the file again), so the report can tell it
    apart from the datastore's own work. One timer around one call: no per-row overhead."""
    import tsunagu.events as events

    spent = {"seconds": 0.0}
    real = getattr(events, "ingest_finished", None)
    if real is None:
        return spent

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            spent["seconds"] += time.perf_counter() - started

    events.ingest_finished = timed  # type: ignore[assignment]
    return spent


def child_main(spec: dict[str, Any]) -> None:
    """One ingest in this process: claim the pending job and run it (mode plain/split/profile)."""
    mode = spec["mode"]
    clock = _PhaseClock()
    if mode == "split":
        _instrument(clock)
    # As a server or worker process is: every action module imported, so the listeners other
    # capabilities register (the quality gate on ingest_finished) run inside run_job too.
    action_names()
    listeners = _time_ingest_listeners()
    settings = Settings(data_dir=Path(spec["data_dir"]), database_url=spec["database_url"])
    services = build_services(settings)
    rss_before = proc_status("VmRSS")
    job_id = claim_next(services)
    if job_id is None:
        raise SystemExit("no pending ingest job")
    report: dict[str, Any] = {"mode": mode, "rss_before_mb": rss_before}
    started = time.perf_counter()
    # The table is queryable when the full-text build begins (after the publish commit).
    stages: dict[str, float] = {}
    build_full_text = pipeline.index_full_text

    def timed_full_text(*args: Any, **kwargs: Any) -> bool:
        stages["queryable"] = time.perf_counter() - started
        built = build_full_text(*args, **kwargs)
        stages["full_text"] = time.perf_counter() - started
        return built

    pipeline.index_full_text = timed_full_text  # type: ignore[assignment]
    build_postings = pipeline.index_postings

    def timed_postings(*args: Any, **kwargs: Any) -> None:
        build_postings(*args, **kwargs)
        stages["postings"] = time.perf_counter() - started

    pipeline.index_postings = timed_postings  # type: ignore[assignment]
    if mode == "profile":
        profiler = cProfile.Profile()
        profiler.runcall(pipeline.run_job, services, job_id)
    else:
        pipeline.run_job(services, job_id)
    report["seconds"] = time.perf_counter() - started
    report["queryable_seconds"] = stages.get("queryable")
    report["full_text_seconds"] = stages.get("full_text")
    report["postings_seconds"] = stages.get("postings")
    report["listener_seconds"] = listeners["seconds"]
    report["vmhwm_mb"] = proc_status("VmHWM")
    # The reader process a big text file is converted in (ingest/parallel.py), once it has
    # ended: its peak RSS and CPU belong to the ingest too.
    reader = resource.getrusage(resource.RUSAGE_CHILDREN)
    report["reader_maxrss_mb"] = reader.ru_maxrss / 1024
    report["reader_cpu_seconds"] = reader.ru_utime + reader.ru_stime
    with services.sessions() as session:
        job = session.get(IngestJob, job_id)
        assert job is not None
        meta = session.get(DatastoreTable, job.resource_id)
        report["status"] = job.status
        report["error"] = job.error
        report["log"] = [e["message"] for e in job.log]
        report["rows"] = meta.row_count if meta else 0
        report["indexes"] = list(meta.indexes) if meta else []
        report["table"] = meta.table_name if meta else ""
        report["fields"] = [{"id": f["id"], "type": f["type"]} for f in meta.fields] if meta else []
    services.engine.dispose()
    if mode == "split":
        report["phases"] = dict(clock.seconds)
        report["calls"] = dict(clock.calls)
    if mode == "profile":
        stats_path = WORK / "datastore-ingest.pstats"
        profiler.dump_stats(stats_path)
        report["profile"] = summarise_profile(pstats.Stats(str(stats_path)))
        report["pstats"] = str(stats_path)
    Path(spec["result"]).write_text(json.dumps(report, ensure_ascii=False))


def _label(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename == "~":
        return name  # a builtin, e.g. <method 'executemany' of 'sqlite3.Connection' objects>
    path = filename.replace("\\", "/")
    for marker in ("/tsunagu/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            path = ("tsunagu/" + path) if marker == "/tsunagu/" else path.split("/", 1)[-1]
            break
    return f"{path}:{line} {name}"


def summarise_profile(stats: pstats.Stats, top: int = 18) -> dict[str, Any]:
    entries = stats.stats  # type: ignore[attr-defined]
    total = max(ct for _, _, _, ct, _ in entries.values())
    rows = [
        {"function": _label(func), "calls": nc, "tottime": tt, "cumtime": ct}
        for func, (_, nc, tt, ct, _) in entries.items()
    ]
    by_cum = sorted(rows, key=lambda r: r["cumtime"], reverse=True)
    by_tot = sorted(rows, key=lambda r: r["tottime"], reverse=True)
    return {"total": total, "cumulative": by_cum[:top], "own": by_tot[:top]}
