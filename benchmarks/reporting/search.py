"""RESULTS.md section of benchmarks/search.py (package_search and package_show at scale)."""

from __future__ import annotations

from typing import Any

from reporting.common import count, ms, ratio, trio, verdict

KINDS = (
    "Kinds: *word2* two-character words (人口, 避難, AED …); *phrase* 3+ characters; *multi* "
    "2–3 words; *facets* the five portal facets, with or without q; *fq* filters on "
    "organization/tags/res_format/groups/license_id; *fq_or* boolean OR in fq; *paging* start "
    "10–1000, rows up to 100; *sort* metadata_modified desc / title_string asc / score; "
    "*private* include_private as sysadmin. About half carry the five facets."
)
BASELINE = (
    "*SQLite* is raw SQLite answering the same queries with indexes built for them from the "
    "index's own documents, so both search the same normalised text (NFKC, lower case, "
    "katakana as hiragana): an FTS5 table of the engine's terms (bigrams of Japanese runs, whole "
    "ASCII words; `unicode61`) gives the candidates and the bm25 rank; a word of 3+ characters "
    "is confirmed as a substring through an FTS5 `trigram` table, as the engine confirms phrases "
    "in its text; every word is widened to its synonyms (`tsunagu.search.synonyms`); filters "
    "use indexed columns and link tables, facets `GROUP BY`, pages `ORDER BY … LIMIT/OFFSET` "
    "returning the stored package JSON. Two-character words are index lookups (the bigram "
    "term), not scans."
)
TIMING = (
    "In each timed pass the systems run the whole mix one after another, each in its own loop: "
    "interleaved query by query, SQLite's work just before each request evicted the server's "
    "index from the CPU caches and inflated the HTTP figures."
)


def render(summary: dict[str, Any]) -> list[str]:
    catalog, index = summary["catalog"], summary["index"]
    rows = catalog["rows"]
    lines = [
        f"- Catalog: {rows.get('datasets', catalog['datasets']):,} synthetic datasets (+1 made "
        f"through the action API) from {catalog['organisations']} organisations, "
        f"{catalog['groups']} groups, {rows.get('tags', 0)} tags; "
        f"{rows.get('resources', 0):,} resources (CSV/XLSX/PDF/JSON); "
        f"{rows.get('private', 0):,} private. Embedded default: one SQLite file. "
        + (
            "Reused from an earlier run (`--reuse`)."
            if catalog["reused"]
            else f"Generated in {catalog['generate_seconds']:.1f} s, bulk-inserted in "
            f"{catalog['insert_seconds']:.1f} s (SQLAlchemy Core into the migrated tables)."
        ),
        *_build(summary),
        _baseline_built(summary["baseline"]["build_seconds"]),
        "",
        *_search(summary),
        "",
        *_show(summary),
        "",
        *_sharing(summary),
        "### Targets",
        "",
    ]
    targets = summary["targets"]
    http95 = summary["overall"]["http"]["p95"]
    lines.append(
        f"- package_search p95 over HTTP ≤ {targets['search_p95_ms']:.0f} ms: "
        f"{verdict(http95 <= targets['search_p95_ms'])} ({ms(http95)} ms)."
    )
    rps = summary["show"]["rps"]
    if "show_rps" in targets:  # no package_show target at the nationwide scale
        lines.append(
            f"- package_show ≥ {targets['show_rps']:.0f} requests/s: "
            f"{verdict(rps >= targets['show_rps'])} ({count(rps)} requests/s)."
        )
    sharing = summary.get("sharing") or []
    if sharing and "index_mib" in targets:
        most = max(row["index_mib"] for row in sharing)
        slowest = max(row["catalog"]["ready_seconds"] for row in sharing)
        lines += [
            f"- index memory per host ≤ {targets['index_mib']:.0f} MiB with "
            f"{'/'.join(str(row['workers']) for row in sharing)} workers: "
            f"{verdict(most <= targets['index_mib'])} (at most {most:.0f} MiB).",
            f"- a worker ready from a snapshot ≤ {targets['ready_seconds']:.0f} s: "
            f"{verdict(slowest <= targets['ready_seconds'])} (slowest {slowest:.1f} s).",
            f"- full rebuild ≤ {targets['rebuild_seconds']:.0f} s: "
            f"{verdict(index['build_seconds'] <= targets['rebuild_seconds'])} "
            f"({index['build_seconds']:.1f} s).",
        ]
    return lines


def _baseline_built(seconds: float | None) -> str:
    if seconds is None:
        return "- SQLite baseline reused from an earlier run on the same documents (`--reuse`)."
    return f"- SQLite baseline built in {seconds:.1f} s."


def _raw_sample(summary: dict[str, Any]) -> str:
    sampled, total = summary.get("raw_sampled", summary["queries"]), summary["queries"]
    if sampled == total:
        return ""
    return (
        f" At this scale one raw SQLite query takes seconds, so SQLite is timed on a sample: "
        f"the first {sampled // len(summary['kinds'])} queries of each kind ({sampled} of "
        f"{total}), the same in every pass; its figures are over that sample, and the ratios set the "
        "whole mix against them."
    )


def _build(summary: dict[str, Any]) -> list[str]:
    index, server = summary["index"], summary["server"]
    phases = index.get("phases") or {}
    if not phases:  # a run from before the snapshot: every worker built its own index
        return [
            f"- Index build (`MemoryIndex.rebuild`, in-process): **{index['build_seconds']:.1f} "
            f"s**; benchmark process RSS {index['rss_before_mib']:.0f} → "
            f"{index['rss_after_mib']:.0f} MiB. Server (`uvicorn tsunagu.asgi:app --workers 2`, "
            f"both workers building their indexes side by side) ready in "
            f"{server['ready_seconds']:.1f} s; worker RSS {_mib(server['rss_mib'])} MiB, "
            f"{_mib(server['rss_after_mib'])} MiB after the runs."
        ]
    return [
        f"- Full rebuild (`MemoryIndex.rebuild`, in-process, writing the host's snapshot): "
        f"**{index['build_seconds']:.1f} s** — documents and postings "
        f"{phases.get('build_seconds', 0):.1f} s, snapshot file "
        f"{phases.get('write_seconds', 0):.1f} s ({phases.get('snapshot_bytes', 0) / 2**20:.0f} "
        f"MiB); benchmark process RSS {index['rss_before_mib']:.0f} → "
        f"{index['rss_after_mib']:.0f} MiB. Server (`uvicorn tsunagu.asgi:app --workers 2`, both "
        f"workers opening that snapshot) ready in {server['ready_seconds']:.1f} s; worker RSS "
        f"{_mib(server['rss_mib'])} MiB, {_mib(server['rss_after_mib'])} MiB after the runs "
        f"(PSS {_mib(server.get('pss_after_mib', []))} MiB)."
    ]


def _sharing(summary: dict[str, Any]) -> list[str]:
    sharing = summary.get("sharing") or []
    if not sharing:
        return []
    lines = [
        "### One index per host",
        "",
        "`uvicorn tsunagu.asgi:app --workers W` started on the catalog (its workers open the "
        "snapshot) and on an empty catalog, each warmed up with two passes of the query mix and "
        "package_show of 2,000 datasets. Memory is the workers' summed PSS "
        "(`/proc/PID/smaps_rollup`: a page mapped by k processes counts 1/k in each, so the "
        "shared snapshot counts once); *index* = catalog − empty, which also counts whatever "
        "else a worker keeps that grows with the catalog; *snapshot file* is the part of the "
        "sum that is the mapped snapshot's pages. MiB; ready in seconds.",
        "",
        "| workers | ready | PSS per worker | PSS summed | empty catalog, summed | index "
        "| of which the snapshot file |",
        "|---:|---:|---|---:|---:|---:|---:|",
    ]
    for row in sharing:
        full, empty = row["catalog"], row["empty"]
        lines.append(
            f"| {row['workers']} | {full['ready_seconds']:.1f} | {_mib(full['pss_mib'])} | "
            f"{full['pss_sum_mib']:.0f} | {empty['pss_sum_mib']:.0f} | "
            f"**{row['index_mib']:.0f}** | {full.get('snapshot_pss_sum_mib', float('nan')):.0f} |"
        )
    return [*lines, ""]


def _mib(values: list[float]) -> str:
    return ", ".join(f"{v:.0f}" for v in values) or "–"


def _search(summary: dict[str, Any]) -> list[str]:
    overall, before = summary["overall"], summary.get("before")
    timed = overall["http"]["n"]
    lines = [
        f"### package_search: {timed:,} timed queries ({summary['queries']} distinct × "
        f"{summary['passes']} passes, after one warm-up pass)",
        "",
        "Times in ms. *engine* = `MemoryIndex.search()` in-process; *HTTP* = `GET "
        "/api/3/action/package_search` on the server (keep-alive httpx client, sequential)"
        + (
            "; *HTTP, previous code* = a second server on the code given with `--before-src`"
            if before
            else ""
        )
        + f". {BASELINE} {TIMING}{_raw_sample(summary)}",
        "",
        "| | p50 | p95 | p99 | mean | p50 vs SQLite | p95 vs SQLite |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    raw = overall["raw"]
    systems = [("engine", "engine"), ("HTTP", "http")]
    if before:
        systems.append(("HTTP, previous code", "http_before"))
    for label, key in (*systems, ("SQLite", "raw")):
        s = overall[key]
        lines.append(
            f"| {label} | {ms(s['p50'])} | {ms(s['p95'])} | {ms(s['p99'])} | {ms(s['mean'])} | "
            f"{ratio(s['p50'], raw['p50'])} | {ratio(s['p95'], raw['p95'])} |"
        )
    lines += [
        "",
        "Per kind of query (p50 / p95 / p99, ms; few samples per kind, so p99 is rough):",
        "",
        "| kind | n | engine | HTTP | "
        + ("HTTP, previous code | " if before else "")
        + "SQLite | HTTP/SQLite p95 |",
        "|---|---:|---:|---:|" + ("---:|" if before else "") + "---:|---:|",
    ]
    for kind in summary["kinds"]:
        cells = [trio(kind["engine"]), trio(kind["http"])]
        if before:
            cells.append(trio(kind["http_before"]))
        cells.append(trio(kind["raw"]))
        lines.append(
            f"| {kind['kind']} | {kind['http']['n']} | {' | '.join(cells)} | "
            f"{ratio(kind['http']['p95'], kind['raw']['p95'])} |"
        )
    checks, total = summary["checks"], summary["queries"]
    lines += [
        "",
        KINDS,
        f"Result counts: HTTP = engine for {checks['engine_vs_http']}/{total} queries; SQLite = "
        f"engine for {checks['engine_vs_raw']}/{summary.get('raw_sampled', total)}; HTTP errors: {checks['http_errors']}. "
        f"Median hit count {count(checks['median_count'])}.",
    ]
    if before:
        lines.append(
            f"Previous code (`{before['src']}`, its own 2-worker server, same run): same count, "
            f"first page and facets for {checks['before_vs_http']}/{total} queries; its "
            f"workers' RSS {_mib(before['rss_mib'])} MiB, ready in "
            f"{before['ready_seconds']:.1f} s."
        )
        lines += [f"- `{example}`" for example in checks["before_mismatches"]]
    if checks["raw_mismatches"]:
        lines.append("Count differences with SQLite:")
        lines += [f"- `{example}`" for example in checks["raw_mismatches"]]
    return lines


def _show(summary: dict[str, Any]) -> list[str]:
    show, floor = summary["show"], summary.get("status")
    shared = "" if show["tool"].startswith("wrk") else " (the load generator shares the cores)"
    lines = [
        "### package_show throughput",
        "",
        "`uvicorn tsunagu.asgi:app --workers 2`, `GET /api/3/action/package_show?id=<random "
        f"public name>` for {show['seconds']} s with {show['tool']}{shared}.",
        "",
        "| | requests/s | p50 ms | p90 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, run in (("package_show", show), ("status_show (framework floor)", floor)):
        if not run:
            continue
        rps = f"**{count(run['rps'])}**" if run is show else count(run["rps"])
        lines.append(
            f"| {label} | {rps} | {ms(run['p50_ms'])} | {ms(run['p90_ms'])} | "
            f"{ms(run['p99_ms'])} | {run['errors']} |"
        )
    for label, run in (("package_show", show), ("status_show", floor or {})):
        if run.get("errors"):
            lines.append(f"\n{label} errors: {run.get('error_detail') or run['errors']}.")
    raw = summary["raw_lookup"]
    lines += [
        "",
        "Raw SQLite, one Python thread, same run: `SELECT * FROM dataset WHERE name = ?` "
        f"{count(raw['row_qps'])} queries/s; `SELECT raw FROM doc WHERE name = ?` (the whole "
        f"package JSON) {count(raw['json_qps'])} queries/s. package_show over HTTP is "
        f"{ratio(show['rps'], raw['row_qps'])} the dataset-row lookup rate: the cost is the "
        "HTTP/ASGI stack (session, revision check, authorisation), not the lookup.",
    ]
    return lines
