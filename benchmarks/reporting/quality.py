"""RESULTS.md section of benchmarks/quality.py (validate_file against frictionless)."""

from __future__ import annotations

from typing import Any

from reporting.common import count

MISTAKES = {
    "code": "wrong check digit",
    "phone": "full-width phone number",
    "capacity": "「1,234人」 capacity",
    "swap": "swapped lat/lon",
    "placeholder": "「－」 placeholder",
    "kishu": "㈱",
    "space": "trailing full-width space",
    "enum": "「○」 in a 災害種別 flag",
    "required": "an empty required 所在地_連結表記",
    "duplicate": "a repeated row",
}
METHOD = (
    "Each validator reads the same file in a child process of its own (peak memory = that "
    'process\'s VmHWM; imports outside the timed part). Tsunagu: `validate_file(path, "CSV", '
    'ValidationOptions(standard=get_standard("evacuation_space"), '
    'local_gov_code="132012"))`, i.e. every rule family. frictionless: '
    "`frictionless.validate(path, schema=<the standard's Table Schema: types, patterns, enums, "
    "required; ID unique>, checklist=[duplicate_row], limit_errors=10**9)` so it reads to the "
    "end. *reader alone* (with `--read`): `read_table` iterated to the end with the validator's "
    "row observer set, no checks, so what validation adds can be told apart. The CPU-time ratio "
    "is given next to the wall-clock one because it moves less with the machine's load."
)


def render(summary: dict[str, Any]) -> list[str]:
    lines = [
        f"- File: {summary['rows']:,} rows of the 03 指定緊急避難場所 standard (all "
        f"{summary['columns']} columns, in order), **{summary['file_mb']:.1f} MB** UTF-8, CRLF; "
        "seeded generator"
        + (f" ({summary['generate_seconds']:.0f} s)" if summary.get("generate_seconds") else "")
        + ". About 2 % of rows carry one of ten mistakes: "
        + ", ".join(f"{MISTAKES.get(kind, kind)} ({n:,})" for kind, n in _planted(summary))
        + ".",
        f"- {METHOD}",
        "",
        "| validator | rows | wall s | CPU s | rows/s (wall) | peak RSS | Tsunagu ÷ frictionless "
        "(wall / CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sorted(summary["runs"], key=lambda r: -r["rows"]):
        lines += _rows(size)
    largest = max(summary["runs"], key=lambda r: r["rows"])
    lines += ["", *_targets(summary, largest), *_findings(largest)]
    return lines


def _planted(summary: dict[str, Any]) -> list[tuple[str, int]]:
    planted = summary["planted"]
    order = [k for k in MISTAKES if k in planted] + sorted(k for k in planted if k not in MISTAKES)
    return [(kind, planted[kind]) for kind in order]


def _rows(size: dict[str, Any]) -> list[str]:
    ours, theirs, reader = size["tsunagu"], size.get("frictionless"), size.get("read")
    out = []
    for label, run in (("Tsunagu", ours), ("reader alone", reader), ("frictionless", theirs)):
        if not run:
            continue
        compared = ""
        if run is ours and theirs:
            compared = (
                f"{ours['rows_per_s'] / theirs['rows_per_s']:.2f}× / "
                f"{theirs['cpu_s'] / ours['cpu_s']:.2f}×"
            )
        bold = "**" if run is ours else ""
        out.append(
            f"| {bold}{label}{bold} | {run['rows']:,} | {run['wall_s']:.2f} | {run['cpu_s']:.2f} | "
            f"{count(run['rows_per_s'])} | {run['vm_hwm_mib']:.0f} MiB | {compared} |"
        )
    return out


def _targets(summary: dict[str, Any], largest: dict[str, Any]) -> list[str]:
    targets, ours, theirs = summary["targets"], largest["tsunagu"], largest.get("frictionless")
    lines = []
    if theirs:
        wall = ours["rows_per_s"] / theirs["rows_per_s"]
        cpu = theirs["cpu_s"] / ours["cpu_s"]
        ok = wall >= targets["ratio"]
        lines.append(
            f"- ≥ {targets['ratio']:.0f}× frictionless's rows/s: **{'met' if ok else 'MISSED'}** "
            f"({wall:.2f}× wall, {cpu:.2f}× CPU at {largest['rows']:,} rows)."
        )
    else:
        lines.append("- ≥ 3× frictionless's rows/s: not measured (`--skip-frictionless`).")
    peak = ours["vm_hwm_mib"]
    ok = peak <= targets["peak_mb"]
    lines.append(
        f"- Peak memory ≤ {targets['peak_mb']:.0f} MB: **{'met' if ok else 'MISSED'}** "
        f"({peak:.0f} MiB at {largest['rows']:,} rows)."
    )
    reader = largest.get("read")
    if reader:
        lines.append(
            f"- Of Tsunagu's {ours['cpu_s']:.2f} CPU s, {reader['cpu_s']:.2f} s is the datastore "
            f"reader (`read_table`: decoding, csv, layout and body rows) and "
            f"{ours['cpu_s'] - reader['cpu_s']:.2f} s is validation."
        )
    return lines


def _findings(largest: dict[str, Any]) -> list[str]:
    ours, theirs = largest["tsunagu"], largest.get("frictionless")
    found = ", ".join(f"{rule} {n:,}" for rule, n in sorted(ours["counts"].items()))
    lines = [
        "",
        f"What each found ({largest['rows']:,} rows): Tsunagu counted {found}, listing at most "
        "100 of each (a repeated row copies its predecessor's mistake, so counts can be a "
        "little above the planted figures).",
    ]
    if theirs:
        reported = ", ".join(f"{kind} {n:,}" for kind, n in sorted(theirs["counts"].items()))
        lines[-1] += (
            f" frictionless reported {reported}; it has no check-digit, coordinate, "
            "機種依存文字, space or placeholder checks, so Tsunagu does strictly more work per row."
        )
    return lines
