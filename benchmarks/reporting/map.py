"""RESULTS.md section of benchmarks/map.py (災害モード's 避難場所 page and the shelter layer,
issue 16).

The script measures parts; a part not in the results file is shown as not measured.
"""

from __future__ import annotations

from typing import Any

from reporting.common import count, ms, ratio, trio, verdict

INTRO = [
    "- Servers: `uvicorn tsunagu.asgi:app` on the embedded default (one SQLite catalog), the "
    "same number of worker processes each, harvest and snapshots off, 災害モード switched on "
    "by a sysadmin through `disaster_mode_update` with a message. *Cached* is the default: the "
    "避難場所 pages are rendered ahead of requests and served, gzipped, from memory by a "
    "middleware before sessions and the database. *Uncached* is a second server on the same "
    "catalog with `TSUNAGU_DISASTER_PAGE_CACHE=0`: every request passes the whole portal "
    "stack, reads the switch and the layer's build time from the database and renders the page "
    "(the same HTML: checked). *Floor*: a bare ASGI app under the same uvicorn and worker count "
    "answering every request with the same gzipped bytes and headers and doing nothing else — "
    "the most this machine serves; *cached ÷ floor* is how close the page cache comes to it.",
    "- Load: `wrk` (C, 2 threads, keep-alive connections, each sending its next request as soon "
    "as the last is read) on the same cores as the servers, asking like a browser "
    "(`Accept-Encoding: gzip, deflate`). A short warm-up first, unrecorded. *Errors* = socket "
    "errors, timeouts (10 s) and answers ≥ 400; *bytes/answer* counts the headers too. After each "
    "run the servers are left to finish what the clients gave up on before the next one starts. "
    "*Alone*: the same paths requested one at a time over one connection for 2 s right after; "
    "*CPU ms/request* = the serving processes' CPU time over those requests ÷ their number, what "
    "a request costs whatever else shares the machine (the load figures depend on it).",
    "- Catalog: one organisation per municipality (山口県's, then its neighbours'), each "
    "publishing a synthetic 指定緊急避難場所 file with every column of the standard (a third "
    "of them with a 開設状況 column) uploaded as CSV through `resource_create`; the server's "
    "ingest worker reads them and the map worker builds the layer, which the pages are made "
    "from. Layer files: one keep-alive connection, requests in a row, as a browser "
    "(`Accept-Encoding: gzip, deflate, br`); the conditional request carries the ETag the "
    "server sent.",
]

# Parts of the script and what each one's target is.
PARTS = {
    "hinan": "避難場所 page under 200 clients for 60 s: ≥ 2,000 req/s, p99 ≤ 100 ms, 0 errors",
    "layer": "shelter layer at 20,000 points: 304 in ≤ 5 ms p95, body gzipped ≤ 1 MB",
}
_SERVERS = {
    "cached": "cached (default)",
    "uncached": "uncached (`TSUNAGU_DISASTER_PAGE_CACHE=0`)",
    "floor": "floor (bare ASGI, same bytes)",
}


def _kb(value: float | None) -> str:
    return "–" if value is None else f"{value / 1000:,.1f} KB"


def render(summary: dict[str, Any]) -> list[str]:
    catalog = summary["catalog"]
    lines = [
        f"{summary['points']:,} shelters of {summary['municipalities']} municipalities in "
        f"{catalog['files']} files ({_kb(catalog['file_bytes'])} of CSV): uploaded in "
        f"{catalog['upload_seconds']:.1f} s, all on the map {catalog['on_map_seconds']:.1f} s "
        f"after the first upload (ingest, check, layer build), every job done after "
        f"{catalog['settled_seconds']:.1f} s. Layer: {catalog['layer_points']:,} points, "
        f"{catalog['left_off']} left off.",
        "",
    ]
    for part, target in PARTS.items():
        if part not in summary:
            lines += [f"- `{part}` ({target}): not measured in this run.", ""]
    if "hinan" in summary:
        lines += _hinan(summary["hinan"])
    if "layer" in summary:
        lines += _layer(summary["layer"])
    return lines


_LOAD_HEADER = [
    "| server | requests | req/s | p50 / p95 / p99 ms | errors | bytes/answer | ÷ floor req/s | "
    "alone: p50 ms | alone: CPU ms/request |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
]


def _load_row(label: str, run: dict[str, Any], floor: dict[str, Any] | None) -> str:
    alone = run.get("alone") or {"latency": {}, "cpu_ms_per_request": None}
    return (
        f"| {label} | {count(run['requests'])} | **{count(run['rps'])}** | "
        f"{trio(run['latency'])} | {run['errors']:,} | {_kb(run.get('bytes_per_response'))} | "
        f"{ratio(run['rps'], floor['rps']) if floor else '–'} | "
        f"{ms(alone['latency'].get('p50'))} | {ms(alone['cpu_ms_per_request'])} |"
    )


def _hinan(hinan: dict[str, Any]) -> list[str]:
    page = hinan["page"]
    index = hinan["index"]
    floor = index.get("floor")
    same = "the same HTML from both servers" if page["same_html"] else "**the HTML differs**"
    lines = [
        f"#### 避難場所 page (`/hinan`): {hinan['clients']} concurrent clients for "
        f"{hinan['seconds']:g} s per server, {hinan['workers']} worker processes each",
        "",
        f"The index is {page['bytes']:,} bytes of HTML ({page['gzip_bytes']:,} gzipped; {same}); "
        f"it links to {page['municipality_pages']} municipality pages (median "
        f"{page['municipality_bytes_median']:,}, largest {page['municipality_bytes_max']:,} "
        f"bytes). Load: {hinan['tool']}.",
        "",
        *_LOAD_HEADER,
    ]
    for key, label in _SERVERS.items():
        if key in index:
            lines.append(_load_row(label, index[key], floor))
    cached, uncached = index["cached"], index["uncached"]
    targets = hinan["targets"]
    if uncached["requests"]:
        compared = (
            f"Cached ÷ uncached: {ratio(cached['rps'], uncached['rps'])} the requests per "
            f"second, p99 {ms(cached['latency']['p99'])} ms against "
            f"{ms(uncached['latency']['p99'])} ms."
        )
    else:
        compared = (
            f"The uncached server answered no request within the {hinan['seconds']:g} s: "
            f"rendering the page takes {ms(uncached['alone']['latency']['p50'])} ms alone, and "
            f"{hinan['clients']} clients queue behind one another."
        )
    lines += [
        "",
        compared,
        "",
        f"Target: ≥ {count(targets['rps'])} req/s, p99 ≤ {targets['p99_ms']:g} ms, "
        f"{targets['errors']} errors — cached {count(cached['rps'])} req/s, p99 "
        f"{ms(cached['latency']['p99'])} ms, {cached['errors']} errors: "
        f"{verdict(hinan['met'])}.",
        "",
    ]
    towns = hinan.get("municipality")
    if towns:
        lines += [
            f"A municipality's page (`/hinan/{{code}}`, one of {page['municipality_pages']} at "
            f"random), {towns['seconds']:g} s per server:",
            "",
            *_LOAD_HEADER,
        ]
        for key, label in _SERVERS.items():
            if key in towns["servers"]:
                lines.append(_load_row(label, towns["servers"][key], floor))
        lines.append("")
    rss = hinan.get("rss_mib") or {}
    if rss:
        shown = "; ".join(
            f"{_SERVERS[k].split(' ')[0]} {', '.join(f'{x:.0f}' for x in v)}"
            for k, v in rss.items()
            if v
        )
        lines += [f"Worker RSS after the load (MiB): {shown}.", ""]
    return lines


def _layer(layer: dict[str, Any]) -> list[str]:
    sizes = layer["bytes"]
    targets = layer["targets"]
    not_modified, full, floor = layer["not_modified"], layer["full_br"], layer["floor_not_modified"]
    lines = [
        f"#### Shelter layer (`/map/layers/evacuation_space.geojson`): {layer['points']:,} points",
        "",
        "| body | bytes |",
        "|---|---:|",
        f"| GeoJSON | {sizes['geojson']:,} |",
        f"| gzip | **{sizes['gzip']:,}** |",
        f"| brotli | {sizes['br']:,} |",
        f"| CSV, gzip | {sizes['csv_gzip']:,} |",
        "",
        f"`Cache-Control: {layer['cache_control']}`; each encoding has its own strong ETag.",
        "",
        "| request | n | p50 / p95 / p99 ms | not the expected status |",
        "|---|---:|---:|---:|",
        f"| `If-None-Match` with the current ETag → 304 | {not_modified['n']:,} | "
        f"{trio(not_modified)} | {not_modified['wrong_status']} |",
        f"| the whole body (brotli) → 200 | {full['n']:,} | {trio(full)} | "
        f"{full['wrong_status']} |",
    ]
    if floor:
        lines.append(
            f"| floor: the bare ASGI app's 304 | {floor['n']:,} | {trio(floor)} | "
            f"{floor['wrong_status']} |"
        )
    lines += [
        "",
        f"Target: 304 in ≤ {targets['not_modified_p95_ms']:g} ms p95 and the body gzipped ≤ "
        f"{targets['gzip_bytes']:,} bytes — p95 {ms(not_modified['p95'])} ms"
        + (f" ({ratio(not_modified['p95'], floor['p95'])} the floor's)" if floor else "")
        + f", {sizes['gzip']:,} bytes: {verdict(layer['met'])}.",
        "",
    ]
    return lines
