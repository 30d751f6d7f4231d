"""RESULTS.md section of benchmarks/datastore.py (1M-row Shift_JIS ingest, datastore_search)."""

from __future__ import annotations

from statistics import median
from typing import Any

from reporting.common import count, ms, ratio
from reporting.datastore_targets import duckdb_rates, own_seconds, targets

FILE_SHAPE = (
    "開設日 is 和暦 throughout (令和/平成 in kanji, R5.4.1 / H31.4.30, R05/04/01, full-width "
    "digits in a fifth); 定員 is full-width with separators in half the rows (「１，２００」); "
    "前年比 has △ negatives; 「－」 and empty cells; remarks with commas are quoted."
)
DUCKDB_NOTE = (
    "DuckDB keeps 和暦 dates and full-width numbers as VARCHAR: it does none of the "
    "normalisation, so its figure is a parsing-throughput baseline, not equivalent work. It also "
    "builds no index"
)
CHECKED = ("開設日", "定員", "前年比", "備考", "定員_sum", "前年比_negative")


def render(summary: dict[str, Any]) -> list[str]:
    source, before = summary["file"], summary.get("before")
    lines = [
        f"- File: {source['rows']:,} rows, **{source['size_bytes'] / 1e6:.1f} MB** Shift_JIS "
        f"(cp932, CRLF), {len(source['header'])} columns ({'、'.join(source['header'])}); seeded "
        f"generator ({source['generate_seconds']:.0f} s). {FILE_SHAPE} SHA-256 "
        f"`{source['sha256'][:16]}…`.",
        "- 1-minute load average at each stage: "
        + " → ".join(f"{x:.1f}" for x in summary["load"])
        + ".",
    ]
    if before:
        lines.append(
            "- Before/after in the same run: the ingest and the search server are also run with "
            + ", ".join(f"`{name}`" for name in before["changed"])
            + f" as at `{before['ref']}` (everything else identical)."
        )
    lines += ["", "### Ingest", "", *_ingest(summary, "sqlite")]
    lines += _ab(summary)
    lines += _types_and_check(summary)
    lines += _split(summary)
    lines += _profile(summary)
    lines += _search(summary, "sqlite")
    if summary["ingest"].get("postgresql"):
        lines += [
            "",
            "### PostgreSQL",
            "",
            f"PostgreSQL {summary['postgres_version']} from `tests/support/postgres_server.py` "
            "(throwaway cluster: fsync off), same file, same steps; the DuckDB rows are the ones "
            "measured above.",
            "",
            *_ingest(summary, "postgresql"),
            *_search(summary, "postgresql"),
        ]
    elif summary.get("postgres_skipped"):
        lines += ["", f"PostgreSQL variant skipped: {summary['postgres_skipped']}."]
    return [*lines, "", "### Targets (embedded default)", "", *targets(summary)]


def _ingest(summary: dict[str, Any], backend: str) -> list[str]:
    ing = summary["ingest"][backend]
    rows, own = ing["rows"], own_seconds(ing)
    rps = rows / own
    duck = summary["duckdb"]
    memory = duck["memory"]
    parse_rps, both_rps = duckdb_rates(summary)
    where = "SQLite, embedded default" if backend == "sqlite" else "PostgreSQL"
    lines = [
        "| | wall s | rows/s | Tsunagu ÷ this (throughput) |",
        "|---|---:|---:|---:|",
        f"| **Tsunagu ingest** ({where}; `run_job`: read → infer → load → swap + indexes, "
        f"without the `ingest_finished` listeners) | **{own:.1f}** | **{count(rps)}** | |",
        f"| Tsunagu `run_job` as a whole, including {ing.get('listener_seconds', 0.0):.1f} s of "
        "checks other capabilities run on `events.ingest_finished` (the quality gate reads the "
        f"file again) | {ing['seconds']:.1f} | {count(rows / ing['seconds'])} | "
        f"{ing['seconds'] / own:.3f}× |",
        f"| DuckDB `CREATE TABLE t AS SELECT * FROM read_csv(…utf8.csv)`, in-memory, "
        f"{memory['threads']} threads | {memory['seconds']:.2f} | {count(parse_rps)} | "
        f"{rps / parse_rps:.3f}× |",
        f"| Python cp932 → UTF-8 transcode + the DuckDB load above | "
        f"{duck['transcode_seconds'] + memory['seconds']:.2f} | {count(both_rps)} | "
        f"{rps / both_rps:.3f}× |",
    ]
    floor = summary.get("floor") if backend == "sqlite" else None
    if floor:
        floor_rps = floor["rows"] / floor["seconds"]
        lines.append(
            "| Raw SQLite, same work on the already-normalised rows: `executemany` into the "
            f"same table, the same {len(floor['indexed'])} B-tree indexes and FTS5 index "
            f"(`tables.build_indexes`) | {floor['seconds']:.2f} | {count(floor_rps)} | "
            f"{rps / floor_rps:.3f}× |"
        )
    utils = summary.get("sqlite_utils") if backend == "sqlite" else None
    if utils:
        utils_rps = utils["rows"] / utils["seconds"]
        lines.append(
            f"| `sqlite-utils insert --csv` ({utils['version']}) on the UTF-8 twin: all columns "
            "left as text (和暦, 「１，２００」), no index, no full text | "
            f"{utils['seconds']:.2f} | {count(utils_rps)} | {rps / utils_rps:.3f}× |"
        )
    parse = summary.get("parse_floor") if backend == "sqlite" else None
    if parse:
        parse_floor_rps = parse["rows"] / parse["seconds"]
        lines.append(
            f"| Python cp932 decoding + `csv.reader` of the file, nothing else | "
            f"{parse['seconds']:.2f} | {count(parse_floor_rps)} | {rps / parse_floor_rps:.3f}× |"
        )
    for key, label in (("one_thread", "in-memory, 1 thread"), ("file", "file-backed database")):
        d = duck.get(key)
        if d:
            if key == "file":
                label += f", {d['threads']} threads"
            d_rps = d["rows"] / d["seconds"]
            lines.append(
                f"| DuckDB, {label} | {d['seconds']:.2f} | {count(d_rps)} | {rps / d_rps:.3f}× |"
            )
    if ing.get("queryable_seconds"):
        upload = ing.get("upload_seconds", 0.0)
        lines += [
            "",
            f"Stages of the job: the table is published and queryable (filters, sort, paging, q "
            f"by scan) **{ing['queryable_seconds']:.1f} s** after the job starts, and its "
            f"full-text index is ready at **{ing['full_text_seconds']:.1f} s**"
            + (
                f"; the short-word postings at {ing['postings_seconds']:.1f} s"
                if ing.get("postings_seconds")
                else ""
            )
            + "; then the `ingest_finished` listeners run. Before the job, the upload itself "
            f"(`resource_create`) took {upload:.1f} s, most of it the personal-information "
            "gate reading every row of a file bound for a public dataset (not counted below, "
            "as in the issue's figures).",
        ]
    if floor:
        lines += [
            "",
            f"The raw SQLite floor splits into {floor['insert']:.1f} s of `executemany` (one "
            f"transaction), {floor['indexes']:.1f} s of B-tree indexes and {floor['fts']:.1f} s "
            "of FTS5 build: the database work alone runs at "
            f"{floor['rows'] / floor['seconds'] / parse_rps:.3f}× DuckDB's throughput, so any "
            "ingest that ends with this SQLite table and these indexes is bounded there.",
        ]
    lines += [
        "",
        f"Peak RSS of the ingest process: **{ing['vmhwm_mb']:.0f} MiB** (VmHWM of the child "
        "process that ran `claim_next` + `run_job`, whole process including the interpreter: "
        f"{ing['rss_before_mb']:.0f} MiB after imports, before the job). CPU "
        f"{ing['user_seconds']:.1f} s user + {ing['system_seconds']:.1f} s system for "
        f"{ing['seconds']:.1f} s wall (wait4 of the ingest process; its reader process, "
        f"which converts big text files beside the inserts, used "
        f"{ing.get('reader_cpu_seconds', 0.0):.1f} s of CPU and peaked at "
        f"{ing.get('reader_maxrss_mb', 0.0):.0f} MiB). Job status `{ing['status']}`, {rows:,} rows (file: "
        f"{summary['file']['rows']:,}).",
    ]
    return lines


def _ab(summary: dict[str, Any]) -> list[str]:
    ab = summary.get("ab")
    if not ab:
        return []
    before, after = ab["runs"]["before"], ab["runs"]["after"]
    queryable = ab.get("queryable")  # recorded since 2026-12-06
    if queryable:
        start, end = queryable["before"], queryable["after"]
        queryable_text = (
            f" Job start → queryable: median **{median(start):.1f} s → {median(end):.1f} s** "
            f"(before {', '.join(f'{x:.1f}' for x in start)} s; after "
            f"{', '.join(f'{x:.1f}' for x in end)} s)."
        )
    else:
        queryable_text = ""
    return [
        "",
        f"Before/after, same run: {len(after)} ingests per side of the first {ab['rows']:,} "
        f"rows, alternating, the changed files as at `{summary['before']['ref']}` (before) and "
        "as in the run (after), wall time without the `ingest_finished` listeners: median "
        f"**{median(before):.1f} s → {median(after):.1f} s**, after ÷ before throughput "
        f"**{median(before) / median(after):.2f}×** (runs: before "
        f"{', '.join(f'{x:.1f}' for x in before)} s; after "
        f"{', '.join(f'{x:.1f}' for x in after)} s; peak RSS {max(ab['peaks']['before']):.0f} / "
        f"{max(ab['peaks']['after']):.0f} MiB).{queryable_text}",
    ]


def _types_and_check(summary: dict[str, Any]) -> list[str]:
    ing, header = summary["ingest"]["sqlite"], summary["file"]["header"]
    types = {f["id"]: f["type"] for f in ing["fields"]}
    duck_types = dict(summary["duckdb"]["memory"]["types"])
    indexes = ing.get("indexes", [])
    lines = [
        "",
        "Column types: "
        + "; ".join(f"{c} {types.get(c, '?')} / {duck_types.get(c, '?')}" for c in header)
        + f" (Tsunagu / DuckDB). {DUCKDB_NOTE}, while the Tsunagu ingest ends by building "
        f"{len(indexes)} B-tree indexes ({'、'.join(indexes)}) and the FTS5 trigram index.",
    ]
    check, exp = summary.get("check"), summary["file"]["expected"]
    if check:
        ok = all(check[k] == exp[k] for k in CHECKED)
        ok = ok and check["kinds"] == exp["kinds"] and check["full_width_left"] == 0
        lines += [
            "",
            f"Normalisation check against the generator: non-empty 開設日 {check['開設日']:,} "
            f"(expected {exp['開設日']:,}), 定員 {check['定員']:,} / {exp['定員']:,}, sum of "
            f"定員 {check['定員_sum']:,} / {exp['定員_sum']:,}, negative 前年比 "
            f"{check['前年比_negative']:,} / {exp['前年比_negative']:,}, 備考 "
            f"{check['備考']:,} / {exp['備考']:,}, rows per 種別 "
            f"{'equal' if check['kinds'] == exp['kinds'] else 'DIFFERENT'}; 開設日 from "
            f"{check['開設日_min']} to {check['開設日_max']}; rows with full-width digits left "
            f"in `_full_text`: {check['full_width_left']}. **{'All equal' if ok else 'MISMATCH'}**.",
        ]
    return lines


def _split(summary: dict[str, Any]) -> list[str]:
    split = summary.get("split")
    if not split:
        return []
    total = split["seconds"]
    lines = [
        "",
        f"Where the time goes (a second, instrumented run: {total:.1f} s wall; timers wrapped "
        "around the pipeline's functions from outside, `executemany` timed by a "
        "`sqlite3.Connection` subclass and the index statements by SQLAlchemy cursor events; the "
        "per-row wrappers add a little):",
        "",
        "| phase | s | share |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {name} | {seconds:.1f} | {seconds / total:.0%} |" for name, seconds in split["phases"]
    ]
    phases = dict(split["phases"])
    load = total - sum(
        phases.get(name, 0.0)
        for name in ("index: B-tree indexes", "index: FTS5 trigram build")
        if name in phases
    )
    load -= sum(v for k, v in phases.items() if k.startswith("after: ingest_finished"))
    rows = summary["file"]["rows"]
    parse_rps, _ = duckdb_rates(summary)
    return [
        *lines,
        "",
        f"Without the index build (and the listeners) the load runs at {count(rows / load)} "
        f"rows/s ({rows / load / parse_rps:.3f}× DuckDB's parse-only throughput).",
    ]


def _profile(summary: dict[str, Any]) -> list[str]:
    prof = summary.get("profile")
    if not prof:
        return []
    lines = [
        "",
        f"cProfile of one ingest of the first {prof['rows']:,} rows ({prof['total']:.1f} s "
        f"under the profiler, {prof['seconds']:.1f} s wall; `{prof['pstats']}` in "
        "benchmarks/.work). Top functions by own time:",
        "",
        "| function | calls | own s | cumulative s |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| `{row['function']}` | {row['calls']:,} | {row['tottime']:.2f} | {row['cumtime']:.2f} |"
        for row in prof["own"]
    ]
    lines += [
        "",
        "Top by cumulative time (below `run_job`):",
        "",
        "| function | calls | cumulative s |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| `{row['function']}` | {row['calls']:,} | {row['cumtime']:.2f} |"
        for row in prof["cumulative"]
    ]
    return lines


def _search(summary: dict[str, Any], backend: str) -> list[str]:
    result = summary["search"][backend]
    floor = result["floor"]
    sqlite = backend == "sqlite"
    q_sql = (
        "the statements datastore_search runs for q alone: `SELECT … FROM t_fts CROSS JOIN t ON "
        "t._id = t_fts.rowid WHERE t_fts MATCH '\"word\"' ORDER BY t_fts.rowid LIMIT 100` and "
        "`SELECT count(*) FROM t_fts WHERE t_fts MATCH …`; `lower(_full_text) LIKE "
        "lower('%word%')` under three characters"
        if sqlite
        else "`_full_text ILIKE '%word%'` (pg_trgm GIN)"
    )
    lines = [
        "",
        f"### datastore_search ({'SQLite' if sqlite else 'PostgreSQL'})",
        "",
        f"`uvicorn tsunagu.asgi:app` (1 worker, `TSUNAGU_INGEST_WORKERS=0`, ready in "
        f"{result['server_ready']:.1f} s, RSS {result['server_rss_mb']:.0f} MiB after the run), "
        "`POST /api/3/action/datastore_search` with a keep-alive httpx client, one call at a "
        f"time, limit {result['limit']}, total included. Each call is followed by the same call "
        "in-process (`call_action`, no HTTP) and by the raw SQL on the same database (`SELECT "
        "_id, … WHERE … ORDER BY _id LIMIT 100` plus `SELECT count(*) … WHERE …`; for q "
        f"{q_sql}), after a warm-up pass over every value. Times in ms; the framework floor "
        f"(`status_show` over HTTP) is p50 {ms(floor['p50'])} / p95 {ms(floor['p95'])}.",
        "",
        "| call | n | HTTP p50 | p95 | p99 | action p50 / p95 | raw SQL p50 / p95 | "
        "HTTP ÷ raw p95 | hits (median, range) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["kinds"]:
        http, action, raw, hits = row["http"], row["action"], row["raw"], row["hits"]
        lines.append(
            f"| {row['kind']} | {http['n']} | {ms(http['p50'])} | {ms(http['p95'])} | "
            f"{ms(http['p99'])} | {ms(action['p50'])} / {ms(action['p95'])} | {ms(raw['p50'])} / "
            f"{ms(raw['p95'])} | {ratio(http['p95'], raw['p95'])} | {count(hits['median'])} "
            f"({count(hits['min'])}–{count(hits['max'])}) |"
        )
    mismatches = [m for row in result["kinds"] for m in row["mismatches"]]
    errors = sum(row["errors"] for row in result["kinds"])
    words = summary["q_words"]
    lines += [
        "",
        f"q words: *municipality* {words['municipality']} names such as 下関市, *facility* "
        f"{words['facility']} words such as 公民館, *town* {words['town']} 町字 such as "
        f"湯田温泉; 2 characters ({'the indexed trigrams beginning with the word, from the FTS5 vocabulary' if sqlite else 'the ngram GIN: tsunagu_ngrams(_full_text) @> ARRAY[word]'}; "
        f"alone, and with 種別 = one of four kinds): {'、'.join(summary['words_2'])}. "
        + _postings_note(result.get("short_word_postings"))
        + (
            "Totals: HTTP = action = raw SQL for every call"
            if not mismatches
            else f"Total MISMATCHES: {'; '.join(mismatches)}"
        )
        + f"; HTTP errors: {errors}.",
    ]
    compared = [row for row in result["kinds"] if row["http_before"]["n"]]
    if compared:
        lines += [
            "",
            "Same calls, same run, against a second server running the changed files as at "
            f"`{summary['before']['ref']}` (before), called right after the first one (HTTP p50 "
            "/ p95, ms):",
            "",
            "| call | before | after | after ÷ before p50 |",
            "|---|---:|---:|---:|",
        ]
        for row in compared:
            old, new = row["http_before"], row["http"]
            lines.append(
                f"| {row['kind']} | {ms(old['p50'])} / {ms(old['p95'])} | {ms(new['p50'])} / "
                f"{ms(new['p95'])} | {ratio(new['p50'], old['p50'])} |"
            )
    return lines


def _postings_note(state: str | None) -> str:
    """How Tsunagu answered the 2-character words (the raw SQL column is the full-text
    index's plan either way)."""
    if state is None:  # results from before the state was recorded
        return ""
    if state == "valid":
        return (
            "Tsunagu answered them from the table's short-word postings (the rows of each "
            "character and pair, and of each 種別 value: roaring bitmaps on SQLite, int4 arrays "
            "on PostgreSQL), the raw SQL column by the full-text index's plan. "
        )
    return f"The table's short-word postings were {state}: Tsunagu used the full-text index too. "
