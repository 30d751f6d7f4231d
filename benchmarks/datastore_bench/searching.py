"""Step 4 of the datastore benchmark: datastore_search over HTTP against the same calls
in-process and as raw SQL."""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import processes

from datastore_bench.config import SEARCH_LIMIT, SRC, WORK
from datastore_bench.helpers import log, proc_status, wait_for_other_benchmarks
from datastore_bench.vocabulary import (
    KINDS,
    Q_WORDS,
    SHORT_ALONE,
    SHORT_FILTER_KINDS,
    SHORT_FILTERED,
    WORDS_2,
)
from tsunagu.bootstrap import action_context, build_services
from tsunagu.config import Settings
from tsunagu.datastore import tables
from tsunagu.registry import call_action


class Server:
    """``uvicorn tsunagu.asgi:app`` in a subprocess on a free loopback port, workers off."""

    def __init__(self, data_dir: Path, database_url: str, src: Path = SRC) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.src = src
        self.port = processes.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = WORK / f"uvicorn-datastore-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_seconds = float("nan")

    def start(self, timeout: float = 300) -> Server:
        env = {
            **os.environ,
            "TSUNAGU_DATA_DIR": str(self.data_dir),
            "TSUNAGU_DATABASE_URL": self.database_url,
            "TSUNAGU_SITE_URL": self.url,
            # One client address sends every request: the per-address API limits would
            # answer 429 long before the measurement ends.
            "TSUNAGU_API_RATE_LIMIT": "0",
            "TSUNAGU_SQL_RATE_LIMIT": "0",
            "TSUNAGU_INGEST_WORKERS": "0",
            "PYTHONPATH": str(self.src),
        }
        self.proc, self.ready_seconds = processes.start_uvicorn(
            env, self.port, self.log_path, WORK, timeout=timeout
        )
        return self

    def rss(self) -> float:
        return proc_status("VmRSS", self.proc.pid) if self.proc else float("nan")

    def stop(self) -> None:
        processes.stop(self.proc)


class RawSqlite:
    """The SQL datastore_search runs, written by hand, on the same database file."""

    def __init__(self, db_path: Path, table: str, columns: list[str]) -> None:
        self.conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
        self.table = tables.quote(table)
        self.fts = tables.quote(table + "_fts")
        self.vocab = tables.quote(table + "_ftv")
        self.select = ", ".join(tables.quote(c) for c in ["_id", *columns])
        self.select_qualified = ", ".join(
            f"{self.table}.{tables.quote(c)}" for c in ["_id", *columns]
        )

    def equal(self, column: str, value: str) -> int:
        where = f"{tables.quote(column)} = ?"
        self.conn.execute(
            f"SELECT {self.select} FROM {self.table} WHERE {where} ORDER BY _id LIMIT ?",
            (value, SEARCH_LIMIT),
        ).fetchall()
        return int(
            self.conn.execute(
                f"SELECT count(*) FROM {self.table} WHERE {where}", (value,)
            ).fetchone()[0]
        )

    def match(self, word: str) -> str:
        """The FTS5 query datastore_search runs for one word: the trigram phrase, or for one
        or two characters the OR of the indexed trigrams beginning with it (from fts5vocab)."""
        if len(word) >= 3:
            return '"' + word.replace('"', '""') + '"'
        folded = word.lower()
        terms = [
            row[0]
            for row in self.conn.execute(
                f"SELECT term FROM {self.vocab} WHERE term >= ? AND term < ?",
                (folded, folded[:-1] + chr(ord(folded[-1]) + 1)),
            )
        ]
        return "(" + " OR ".join('"' + t.replace('"', '""') + '"' for t in terms) + ")"

    def text_and_equal(self, word: str, column: str, value: str) -> int:
        """q with an equality filter on an indexed column, as datastore_search runs it: the
        FTS5 rowids and the filter index's rowids merged (INTERSECT in _id order), the page's
        _id first, then the total, unless the page was not full."""
        ids = (
            f"SELECT rowid FROM {self.fts} WHERE {self.fts} MATCH ? INTERSECT "
            f"SELECT _id FROM {self.table} WHERE {tables.quote(column)} IN (?) ORDER BY 1"
        )
        params = (self.match(word), value)
        rows = self.conn.execute(
            f"SELECT {self.select} FROM {self.table} WHERE _id IN ({ids} LIMIT ?) ORDER BY _id",
            (*params, SEARCH_LIMIT),
        ).fetchall()
        if len(rows) < SEARCH_LIMIT:
            return len(rows)
        return int(self.conn.execute(f"SELECT count(*) FROM ({ids})", params).fetchone()[0])

    def text(self, word: str) -> int:
        # The statements datastore_search runs for q alone: the page in the FTS index's rowid
        # order (stops after the page), the total counted on the FTS table.
        phrase = self.match(word)
        self.conn.execute(
            f"SELECT {self.select_qualified} FROM {self.fts} CROSS JOIN {self.table} "
            f"ON {self.table}._id = {self.fts}.rowid WHERE {self.fts} MATCH ? "
            f"ORDER BY {self.fts}.rowid LIMIT ?",
            (phrase, SEARCH_LIMIT),
        ).fetchall()
        return int(
            self.conn.execute(
                f"SELECT count(*) FROM {self.fts} WHERE {self.fts} MATCH ?", (phrase,)
            ).fetchone()[0]
        )

    def stats(self) -> dict[str, Any]:
        row = self.conn.execute(
            f'SELECT count(*), count("開設日"), count("定員"), count("前年比"), count("備考"), '
            f'sum("定員"), sum("前年比" < 0), min("開設日"), max("開設日"), '
            f"sum(_full_text GLOB '*[０-９]*') FROM {self.table}"
        ).fetchone()
        keys = [
            "rows",
            "開設日",
            "定員",
            "前年比",
            "備考",
            "定員_sum",
            "前年比_negative",
            "開設日_min",
            "開設日_max",
            "full_width_left",
        ]
        out = dict(zip(keys, row, strict=True))
        out["kinds"] = dict(
            self.conn.execute(f'SELECT "種別", count(*) FROM {self.table} GROUP BY 1').fetchall()
        )
        return out

    def close(self) -> None:
        self.conn.close()


class RawPostgres:
    """The same SQL on PostgreSQL (pg_trgm ILIKE for q, as datastore_search does there)."""

    def __init__(self, url: str, table: str, columns: list[str]) -> None:
        import psycopg

        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        self.conn.autocommit = True
        # Planned for each run's values, as the app's connections are (storage.database).
        self.conn.execute("SET plan_cache_mode = force_custom_plan")
        self.table = tables.quote(table)
        self.select = ", ".join(tables.quote(c) for c in ["_id", *columns])

    def _run(self, where: str, *params: str) -> int:
        with self.conn.cursor() as cur:
            cur.execute(
                f"SELECT {self.select} FROM {self.table} WHERE {where} ORDER BY _id LIMIT %s",
                (*params, SEARCH_LIMIT),
            )
            cur.fetchall()
            cur.execute(f"SELECT count(*) FROM {self.table} WHERE {where}", params)
            return int(cur.fetchone()[0])  # type: ignore[index]

    def _run_text(self, where: str, walk: str, *params: str) -> int:
        """As datastore_search runs q: the total first; then the page along the primary key
        when the word is common enough for that to pay (its rows ÷ matches × the page, against
        the matches), else from the index's matches sorted by _id + 0. (datastore_search also
        reads page and total in one statement when the planner expects few matches; this
        counts separately, so it is never the cheaper of the two.)"""
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {self.table} WHERE {where}", params)
            total = int(cur.fetchone()[0])  # type: ignore[index]
            cur.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (self.table,))
            rows = float(cur.fetchone()[0])  # type: ignore[index]
            if total and SEARCH_LIMIT * rows / total <= total:
                page = f"SELECT {self.select} FROM {self.table} WHERE {walk} ORDER BY _id LIMIT %s"
            elif total:
                page = f"SELECT {self.select} FROM {self.table} WHERE {where} ORDER BY _id + 0 LIMIT %s"
            else:
                return 0
            cur.execute(page, (*params, SEARCH_LIMIT))
            cur.fetchall()
            return total

    def equal(self, column: str, value: str) -> int:
        return self._run(f"{tables.quote(column)} = %s", value)

    @staticmethod
    def _word(word: str) -> tuple[str, str, str]:
        """As datastore_search: ILIKE (pg_trgm GIN) from three characters, the ngram GIN's
        containment under three; and the test the primary key walk applies to each row."""
        if len(word) <= 2:
            walk = "strpos(lower(_full_text), lower(CAST(%s AS TEXT))) > 0"
            return "tsunagu_ngrams(_full_text) @> ARRAY[lower(CAST(%s AS TEXT))]", walk, word
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return "_full_text ILIKE %s", "_full_text ILIKE %s", f"%{escaped}%"

    def text(self, word: str) -> int:
        return self._run_text(*self._word(word))

    def text_and_equal(self, word: str, column: str, value: str) -> int:
        condition, walk, param = self._word(word)
        equal = f"{tables.quote(column)} = %s"
        return self._run_text(f"{equal} AND {condition}", f"{equal} AND {walk}", value, param)

    def close(self) -> None:
        self.conn.close()


@dataclass
class Timings:
    http: list[float] = field(default_factory=list)
    http_before: list[float] = field(default_factory=list)
    action: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    hits: list[int] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    errors: int = 0

    def extend(self, other: Timings) -> None:
        self.http += other.http
        self.http_before += other.http_before
        self.action += other.action
        self.raw += other.raw
        self.hits += other.hits


def _queries(seed: int, count: int) -> dict[str, list[tuple[str, str]]]:
    """(kind, value) per query: equality filters on 種別, and q words (a third each of
    municipality names, facility words and 町字 names)."""
    rng = random.Random(seed + 1)
    groups = list(Q_WORDS)
    return {
        "filter": [("種別", rng.choice([k for k, _ in KINDS])) for _ in range(count)],
        "q": [(groups[i % 3], rng.choice(Q_WORDS[groups[i % 3]])) for i in range(count)],
    }


def run_searches(
    server: Server,
    before: Server | None,
    services: Any,
    raw: Any,
    resource_id: str,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Each call four ways, back to back: HTTP, HTTP on the server running the datastore code
    before local changes (when there is one), in-process action, raw SQL."""
    queries = _queries(args.seed, args.searches)
    client = httpx.Client(base_url=server.url, timeout=120)
    # Whether short words are answered from the table's postings (built at the end of the
    # ingest) or by the full-text index: the 2-character figures are of that path.
    info = client.post("/api/3/action/datastore_info", json={"id": resource_id})
    postings_state = info.json()["result"]["meta"].get("short_word_postings", "none")
    log(f"short-word postings: {postings_state}")
    client_before = httpx.Client(base_url=before.url, timeout=120) if before else None
    by_kind: dict[str, Timings] = defaultdict(Timings)

    def one(kind: str, label: str, value: str, record: bool, also: str = "") -> None:
        """One call; ``also``: a 種別 value to filter on beside q."""
        data: dict[str, Any] = {"resource_id": resource_id, "limit": SEARCH_LIMIT}
        if kind == "filter":
            data["filters"] = {"種別": value}
        else:
            data["q"] = value
            if also:
                data["filters"] = {"種別": also}
        t0 = time.perf_counter()
        response = client.post("/api/3/action/datastore_search", json=data)
        t1 = time.perf_counter()
        before_ms = float("nan")
        if client_before is not None:
            old = client_before.post("/api/3/action/datastore_search", json=data)
            before_ms = (time.perf_counter() - t1) * 1000
            old.raise_for_status()
        t2 = time.perf_counter()
        with action_context(services) as context:
            in_process = call_action("datastore_search", context, data)
        t3 = time.perf_counter()
        if kind == "filter":
            raw_total = raw.equal("種別", value)
        else:
            raw_total = raw.text_and_equal(value, "種別", also) if also else raw.text(value)
        t4 = time.perf_counter()
        if not record:
            return
        timings = by_kind[label]
        body = response.json() if response.status_code == 200 else {}
        if not body.get("success"):
            timings.errors += 1
            return
        total = body["result"]["total"]
        if (total != raw_total or in_process["total"] != raw_total) and len(timings.mismatches) < 5:
            timings.mismatches.append(
                f"{value}: HTTP {total}, action {in_process['total']}, SQL {raw_total}"
            )
        timings.http.append((t1 - t0) * 1000)
        if client_before is not None:
            timings.http_before.append(before_ms)
        timings.action.append((t3 - t2) * 1000)
        timings.raw.append((t4 - t3) * 1000)
        timings.hits.append(total)

    floor = []
    try:
        for _ in range(100):
            t0 = time.perf_counter()
            client.get("/api/3/action/status_show").raise_for_status()
            floor.append((time.perf_counter() - t0) * 1000)
        # Warm-up: every category and word once, not recorded.
        every_word = [w for group in Q_WORDS.values() for w in group]
        for kind, values in (("filter", [k for k, _ in KINDS]), ("q", every_word)):
            for value in values:
                one(kind, kind, value, record=False)
        log(f"timing {len(queries['filter'])} filter and {len(queries['q'])} q calls")
        for (_, category), (group, word) in zip(queries["filter"], queries["q"], strict=True):
            one("filter", "filter: 種別 = …", category, record=True)
            one("q", f"q: {group}", word, record=True)
        log("timing 2-character q, alone and with an equality filter")
        rng = random.Random(args.seed + 2)
        for word in WORDS_2:
            one("q", SHORT_ALONE, word, record=False)
            for kind in SHORT_FILTER_KINDS:
                one("q", SHORT_FILTERED, word, record=False, also=kind)
        for _ in range(args.short_repeat):
            for word in WORDS_2:
                one("q", SHORT_ALONE, word, record=True)
                one("q", SHORT_FILTERED, word, record=True, also=rng.choice(SHORT_FILTER_KINDS))
    finally:
        client.close()
        if client_before is not None:
            client_before.close()
    return {"by_kind": dict(by_kind), "floor_ms": floor, "short_word_postings": postings_state}


def search_stage(
    data_dir: Path,
    database_url: str,
    resource_id: str,
    raw: Any,
    args: argparse.Namespace,
    before_src: Path | None,
) -> dict[str, Any]:
    wait_for_other_benchmarks()
    services = build_services(Settings(data_dir=data_dir, database_url=database_url))
    server = Server(data_dir, database_url)
    before = Server(data_dir, database_url, before_src) if before_src else None
    try:
        log("starting uvicorn (1 worker, ingest workers off)")
        server.start()
        if before is not None:
            before.start()
        log(f"server ready in {server.ready_seconds:.1f} s at {server.url}")
        result = run_searches(server, before, services, raw, resource_id, args)
        result["server_rss_mb"] = server.rss()
        result["server_ready"] = server.ready_seconds
    finally:
        server.stop()
        if before is not None:
            before.stop()
        services.engine.dispose()
    return result
