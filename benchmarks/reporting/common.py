"""Number formats and the run description shared by every section of RESULTS.md.

Pure functions of the results files: no clock, no environment, so RESULTS.md is the same
wherever it is rendered.
"""

from __future__ import annotations

from typing import Any


def ms(value: float | None) -> str:
    """Milliseconds with three significant digits or so: 0.59, 13.7, 152, 2389."""
    if value is None:
        return "–"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def ratio(a: float | None, b: float | None) -> str:
    """a ÷ b, with three decimals below 0.1 so that small ratios keep a figure."""
    if a is None or not b:
        return "n/a"
    value = a / b
    return f"{value:.3f}×" if value < 0.1 else f"{value:.2f}×"


def count(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**MISSED**"


def trio(stats: dict[str, Any]) -> str:
    """p50 / p95 / p99 of a stats entry."""
    return " / ".join(ms(stats.get(key)) for key in ("p50", "p95", "p99"))


def commit_label(run: dict[str, Any]) -> str:
    label = f"`{run['commit']}`"
    if run.get("dirty"):
        changed = run.get("changed") or []
        shown = ", ".join(f"`{path}`" for path in changed[:8])
        more = f" and {len(changed) - 8} more" if len(changed) > 8 else ""
        label = f"`{run['commit']}+dirty` (uncommitted changes to {shown}{more})"
    return label


def load_range(run: dict[str, Any]) -> str:
    start, end = run.get("load_start") or [None], run.get("load_end") or [None]
    if start[0] is None or end[0] is None:
        return "unknown"
    return f"{start[0]:.1f} at the start, {end[0]:.1f} at the end"


def machine_line(run: dict[str, Any]) -> str:
    m = run["machine"]
    versions = m.get("versions", {})
    names = {
        "python": "Python",
        "sqlite": "SQLite",
        "postgresql": "PostgreSQL",
        "duckdb": "DuckDB",
        "frictionless": "frictionless",
        "chromium": "Chromium",
    }
    shown = ", ".join(
        f"{names.get(key, key)} {value}" for key, value in versions.items() if value is not None
    )
    ram = f"{m['ram_gib']} GiB RAM" if m.get("ram_gib") is not None else "RAM unknown"
    return (
        f"- Machine: {m['cores']} cores ({m['cpu']}), {ram}, Linux {m['kernel']}; {shown}. "
        f"1-minute load average {load_range(run)} (other work on the machine shares the cores)."
    )


def provenance(run: dict[str, Any], path: str) -> list[str]:
    """Which code, machine and command a results file comes from, and how to reproduce it."""
    seconds = run.get("seconds") or 0
    took = f" ({seconds / 60:.0f} min)" if seconds >= 120 else f" ({seconds:.0f} s)"
    lines = [
        f"Measured {run['started']}{took} at {commit_label(run)}. Reproduce: "
        f"`{run['command']}` (writes `{path}`).",
        "",
        machine_line(run),
    ]
    if run.get("quick"):
        lines.append(
            "- **Quick run (`--quick`)**: small sizes and few repeats, for checking the script; "
            "not figures to compare."
        )
    return lines
