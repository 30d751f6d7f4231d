"""Write benchmarks/RESULTS.md from the results files in benchmarks/results/.

Every table in RESULTS.md comes from one ``<name>.json`` that a benchmark script wrote (its run
record: commit, machine, load, command line; and its summary), so each table can be reproduced
by the command printed above it, and nothing in RESULTS.md is typed by hand. A file that is
missing is shown as not measured, with the command that measures it.

    .venv/bin/python benchmarks/render_results.py            # rewrite RESULTS.md
    .venv/bin/python benchmarks/render_results.py --check    # exit 1 if RESULTS.md differs
    .venv/bin/python benchmarks/render_results.py --results benchmarks/.work/results \\
        --output benchmarks/.work/RESULTS-quick.md            # render quick runs to look at

tests/test_benchmark_results.py fails when RESULTS.md is not exactly what this writes from the
committed files. Figures from before this layout are in HISTORICAL.md.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reporting import (
    analytics,
    datastore,
    harvest,
    load,
    portal,
    postings_rebuild,
    quality,
    search,
    search_postgres,
    staff,
)
from reporting import map as map_section
from reporting.common import provenance

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
OUTPUT = HERE / "RESULTS.md"


@dataclass(frozen=True)
class Table:
    """One results file and the part of RESULTS.md made from it."""

    name: str  # benchmarks/results/<name>.json
    heading: str | None  # its own ### heading, or None when it is the whole section
    command: str  # the command that writes it (the file records the exact one used)
    render: Callable[[dict[str, Any]], list[str]]


@dataclass(frozen=True)
class Section:
    title: str
    tables: list[Table]
    intro: list[str] = field(default_factory=list)  # what every table of the section measures


SECTIONS = [
    Section(
        "Search (catalog core)",
        [
            Table("search", None, "python benchmarks/search.py", search.render),
            Table(
                "search-1m",
                "1,000,000 datasets (embedded engine)",
                "python benchmarks/search.py --datasets 1000000",
                search.render,
            ),
            Table(
                "search_postgres",
                "PostgreSQL search backend (TSUNAGU_SEARCH_BACKEND=postgresql)",
                "python benchmarks/search_postgres.py",
                search_postgres.render,
            ),
        ],
    ),
    Section(
        "Datastore",
        [
            Table("datastore", None, "python benchmarks/datastore.py", datastore.render),
            Table(
                "postings_rebuild",
                "Writes during a short-word postings rebuild (PostgreSQL)",
                "python benchmarks/postings_rebuild.py",
                postings_rebuild.render,
            ),
        ],
    ),
    Section(
        "Portal",
        [
            Table(
                "portal-demo",
                "Demo catalog",
                "python benchmarks/portal.py --skip-big",
                portal.render_demo,
            ),
            Table(
                "portal-synthetic",
                "Synthetic catalog",
                "python benchmarks/portal.py --skip-demo",
                portal.render_synthetic,
            ),
        ],
        intro=portal.INTRO,
    ),
    Section(
        "Quality",
        [
            Table(
                "quality",
                None,
                "python benchmarks/quality.py --rows 1000000 --prefix 100000 --read",
                quality.render,
            )
        ],
    ),
    Section(
        "Load",
        [
            Table(
                "load-sqlite",
                "SQLite, 2 processes",
                "python benchmarks/load.py --only sqlite",
                load.render,
            ),
            Table(
                "load-postgresql",
                "PostgreSQL, 4 processes",
                "python benchmarks/load.py --only postgresql",
                load.render,
            ),
        ],
        intro=load.INTRO,
    ),
    Section(
        "Staff workspace",
        [Table("staff", None, "python benchmarks/staff.py", staff.render)],
        intro=staff.INTRO,
    ),
    Section(
        "Harvest",
        [Table("harvest", None, "python benchmarks/harvest.py", harvest.render)],
        intro=harvest.INTRO,
    ),
    Section(
        "Analytics and plans",
        [Table("analytics", None, "python benchmarks/analytics.py", analytics.render)],
        intro=analytics.INTRO,
    ),
    Section(
        "Map and 災害モード",
        [Table("map", None, "python benchmarks/map.py", map_section.render)],
        intro=map_section.INTRO,
    ),
]
TABLES = {table.name: table for section in SECTIONS for table in section.tables}


def read(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def render_table(table: Table, path: Path) -> list[str]:
    shown = f"benchmarks/results/{table.name}.json"
    if path.resolve().parent != RESULTS:  # quick runs, --results-dir
        resolved = path.resolve()
        shown = str(
            resolved.relative_to(HERE.parent) if resolved.is_relative_to(HERE.parent) else resolved
        )
    lines = [f"### {table.heading}", ""] if table.heading else []
    if not path.exists():
        return [
            *lines,
            f"Not measured yet. Run `{table.command}` (about {_duration(table.name)}); it writes "
            f"`benchmarks/results/{table.name}.json`, then `python benchmarks/render_results.py`.",
            "",
        ]
    document = read(path)
    return [*lines, *provenance(document["run"], shown), "", *table.render(document["summary"]), ""]


def _duration(name: str) -> str:
    return {
        "search": "15 min",
        "search-1m": "90 min",
        "datastore": "25 min",
        "portal-demo": "5 min",
        "portal-synthetic": "10 min",
        "quality": "3 min",
        "load-sqlite": "4 min",
        "load-postgresql": "4 min",
        "staff": "10 min",
        "analytics": "10 min",
        "harvest": "15 min",
        "map": "10 min",
        "search_postgres": "10 min",
        "postings_rebuild": "5 min",
    }[name]


def render_file(name: str, path: Path) -> str:
    """One table on its own (what a benchmark prints when it has written its results)."""
    return "\n".join(render_table(TABLES[name], path)).rstrip() + "\n"


def render_all(results: Path = RESULTS) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Generated by `python benchmarks/render_results.py` from the run records in "
        "`benchmarks/results/*.json`: do not edit by hand (`tests/test_benchmark_results.py` "
        "fails when this file differs from what the script writes). Above each table: the "
        "commit it measured (`+dirty` when src/ or benchmarks/ had uncommitted changes), the "
        "machine, its load, and the command that reproduces it. How the benchmarks work: "
        "[README.md](README.md). Figures measured before this layout, some of them with no "
        "script left to reproduce them: [HISTORICAL.md](HISTORICAL.md).",
        "",
        "Times are absolute on the machine named; ratios against a baseline measured in the "
        "same run are the figures to compare across machines.",
        "",
        "| table | results file | commit | measured | command |",
        "|---|---|---|---|---|",
    ]
    for section in SECTIONS:
        for table in section.tables:
            path = results / f"{table.name}.json"
            label = section.title + (f": {table.heading}" if table.heading else "")
            if path.exists():
                run = read(path)["run"]
                commit = f"`{run['commit']}{'+dirty' if run['dirty'] else ''}`"
                quick = " (quick)" if run.get("quick") else ""
                lines.append(
                    f"| {label} | `{table.name}.json` | {commit} | {run['started']}{quick} | "
                    f"`{run['command']}` |"
                )
            else:
                lines.append(f"| {label} | — | — | not measured | `{table.command}` |")
    lines.append("")
    for section in SECTIONS:
        lines += [f"## {section.title}", ""]
        if section.intro:
            lines += [*section.intro, ""]
        for table in section.tables:
            lines += render_table(table, results / f"{table.name}.json")
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of <name>.json")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    text = render_all(args.results)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current == text:
            return 0
        diff = difflib.unified_diff(
            current.splitlines(), text.splitlines(), str(args.output), "rendered", lineterm=""
        )
        print("\n".join(list(diff)[:80]))
        return 1
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
