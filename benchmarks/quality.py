"""Validation throughput: Tsunagu's validate_file against frictionless's validator.

Generates a CSV of the 03 指定緊急避難場所 standard (39 columns, UTF-8) with realistic
occasional mistakes, then validates the same file with `validate_file` (the standard declared)
and with `frictionless.validate` given the equivalent Table Schema (the standard's fields,
types, patterns, enums and required flags, ID unique, plus the duplicate-row check). Each run
is a child process so its peak memory (VmHWM) is its own.

    .venv/bin/python benchmarks/quality.py --rows 1000000 [--prefix 100000] [--skip-frictionless]
        [--read]  (also time the datastore reader alone: what validation adds is the difference)
    .venv/bin/python benchmarks/quality.py --quick   (20,000 rows: checks the script, ~30 s)

Writes benchmarks/results/quality.json (see runrecord.py); the validators import a snapshot of
src/tsunagu taken at the start, so edits made during a run do not mix in.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import processes
from runrecord import RunRecord, add_results_argument, render_section, write_result
from snapshot import snapshot_revision, snapshot_source

WORK = Path(__file__).with_name(".work")
SRC_ENV = "TSUNAGU_BENCH_QUALITY_SRC"
SRC = snapshot_source(SRC_ENV, "src-quality")
sys.path.insert(0, str(SRC))
TARGET_RATIO = 3.0  # rows/s against frictionless
TARGET_PEAK_MB = 500.0
STANDARD = "evacuation_space"
CITY = ("132012", "東京都", "八王子市")
STREETS = [
    "元本郷町",
    "大横町",
    "八日町",
    "横山町",
    "寺町",
    "明神町",
    "子安町",
    "旭町",
    "東町",
    "中町",
]
KINDS = ["小学校", "中学校", "公園", "市民センター", "体育館", "高校", "広場", "集会所"]


def _check_digit(five: str) -> str:
    total = sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def generate(path: Path, rows: int, seed: int = 7) -> dict[str, int]:
    """A conforming 03 file in which about 2 % of rows carry one of ten common mistakes."""
    from tsunagu.quality.standards import get_standard

    names = [f.name for f in get_standard(STANDARD).fields]
    rng = random.Random(seed)
    planted: dict[str, int] = {}
    previous: list[str] | None = None
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\r\n")
        out.writerow(names)
        for n in range(1, rows + 1):
            kind = rng.choice(KINDS)
            street = rng.choice(STREETS)
            lat = round(35.62 + rng.random() * 0.1, 6)
            lon = round(139.25 + rng.random() * 0.1, 6)
            row = {
                "全国地方公共団体コード": CITY[0],
                "ID": f"{n:07d}",
                "名称": f"{street}{kind}{n % 97}",
                "名称_カナ": "ハチオウジ",
                "名称_英字": "" if rng.random() < 0.5 else f"Hachioji {n % 97}",
                "所在地_全国地方公共団体コード": CITY[0],
                "町字ID": f"{rng.randrange(1, 300):04d}000",
                "所在地_連結表記": f"{CITY[1]}{CITY[2]}{street}{rng.randrange(1, 30)}-{rng.randrange(1, 20)}",
                "所在地_都道府県": CITY[1],
                "所在地_市区町村": CITY[2],
                "所在地_町字": street,
                "所在地_番地以下": f"{rng.randrange(1, 30)}-{rng.randrange(1, 20)}",
                "建物名等(方書)": "",
                "緯度": str(lat),
                "経度": str(lon),
                "標高": str(rng.randrange(80, 400)),
                "電話番号": f"042-{rng.randrange(600, 700)}-{rng.randrange(1000, 9999)}",
                "内線番号": "",
                "連絡先メールアドレス": "bosai@city.hachioji.example.jp",
                "連絡先FormURL": "",
                "連絡先備考（その他、SNSなど）": "",
                "郵便番号": f"192-{rng.randrange(0, 999):04d}",
                "市区町村コード": CITY[0],
                "地方公共団体名": CITY[2],
                "想定収容人数": str(rng.randrange(50, 3000)),
                "対象となる町会・自治会": f"{street}町会",
                "URL": f"https://www.city.hachioji.example.jp/bosai/{n}.html",
                "画像": "",
                "画像_ライセンス": "",
                "備考": "" if rng.random() < 0.8 else "夜間は東門から入れます",
            }
            for name in names:
                if name.startswith("災害種別_") or name == "指定避難所との重複":
                    row[name] = "1" if rng.random() < 0.6 else ""
            roll = rng.random()
            mistake = None
            if roll < 0.02:
                mistake = rng.choice(
                    ["code", "phone", "capacity", "swap", "placeholder", "kishu", "space",
                     "enum", "duplicate", "required"]
                )  # fmt: skip
            if mistake == "code":
                row["全国地方公共団体コード"] = "132011"
            elif mistake == "phone":
                row["電話番号"] = row["電話番号"].translate(
                    str.maketrans("0123456789-", "０１２３４５６７８９－")
                )
            elif mistake == "capacity":
                row["想定収容人数"] = f"{rng.randrange(1000, 3000):,}人"
            elif mistake == "swap":
                row["緯度"], row["経度"] = row["経度"], row["緯度"]
            elif mistake == "placeholder":
                row["建物名等(方書)"] = "－"
            elif mistake == "kishu":
                row["名称"] = "㈱" + row["名称"]
            elif mistake == "space":
                row["名称"] = row["名称"] + "　"
            elif mistake == "enum":
                row["災害種別_地震"] = "○"
            elif mistake == "required":
                row["所在地_連結表記"] = ""
            values = [row[name] for name in names]
            if mistake == "duplicate" and previous is not None:
                values = previous
            if mistake:
                planted[mistake] = planted.get(mistake, 0) + 1
            out.writerow(values)
            previous = values
    return planted


def table_schema() -> dict[str, Any]:
    """The standard as a plain Frictionless Table Schema (only the keys frictionless reads)."""
    from tsunagu.quality.standards import get_standard

    fields = []
    for f in get_standard(STANDARD).schema["fields"]:
        field = {k: v for k, v in f.items() if k in ("name", "type", "format", "constraints")}
        if f["name"] == "ID":
            field["constraints"] = {**field.get("constraints", {}), "unique": True}
        if field.get("format") in ("email", "uri"):
            field.pop("format")  # frictionless only checks these in strict mode
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


def child(kind: str, path: Path) -> dict[str, Any]:
    # Imports are outside the timed part for both (frictionless's take about a second).
    from frictionless import Checklist, Schema, checks, validate

    from tsunagu.quality.standards import get_standard
    from tsunagu.quality.validate import ValidationOptions, validate_file

    started = time.perf_counter()
    cpu = time.process_time()
    if kind == "read":  # the datastore reader alone, as validate_file drives it
        from tsunagu.datastore.ingest.readers import read_table
        from tsunagu.quality.validate.layout import RowObserver

        table = read_table(path, "CSV")
        table.info.row_observer = RowObserver(table.info.header_width)
        rows = sum(1 for _ in table.rows)
        counts = {}
    elif kind == "tsunagu":
        options = ValidationOptions(standard=get_standard(STANDARD), local_gov_code=CITY[0])
        result = validate_file(path, "CSV", options)
        rows = result.rows
        counts = dict(sorted(result.report.counts.items()))
    else:
        schema = Schema.from_descriptor(table_schema())
        report = validate(
            str(path),
            schema=schema,
            checklist=Checklist(checks=[checks.duplicate_row()]),
            limit_errors=10**9,
        )
        task = report.tasks[0]
        rows = task.stats.get("rows") if isinstance(task.stats, dict) else task.stats.rows
        if rows is None:
            raise SystemExit(f"frictionless did not read the file: {task.errors[:1]}")
        counts = {}
        for error in task.errors:
            counts[error.type] = counts.get(error.type, 0) + 1
    wall = time.perf_counter() - started
    return {
        "kind": kind,
        "rows": rows,
        "wall_s": round(wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "rows_per_s": round(rows / wall) if wall else 0,
        "vm_hwm_mib": round(processes.proc_mib("self", "VmHWM"), 1),
        "counts": counts,
    }


def run_child(kind: str, path: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        # frictionless refuses absolute paths it does not trust: run it next to the file.
        [sys.executable, str(Path(__file__).resolve()), "--child", kind, path.name],
        capture_output=True, text=True, env=env, check=False, cwd=path.parent,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"{kind} child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def prefix(source: Path, rows: int) -> Path:
    target = source.with_name(f"{source.stem}-{rows}.csv")
    if not target.exists():
        with (
            source.open(encoding="utf-8", newline="") as src,
            target.open("w", encoding="utf-8", newline="") as dst,
        ):
            for n, line in enumerate(src):
                if n > rows:
                    break
                dst.write(line)
    return target


def source_file(rows: int) -> tuple[Path, dict[str, Any]]:
    """The generated file (reused when one of this size is on disk) and how it was made."""
    WORK.mkdir(exist_ok=True)
    path = WORK / f"quality-{STANDARD}-{rows}.csv"
    marker = path.with_suffix(".json")
    if path.exists() and marker.exists():
        return path, json.loads(marker.read_text())
    started = time.perf_counter()
    planted = generate(path, rows)
    made = {"planted": planted, "generate_seconds": round(time.perf_counter() - started, 1)}
    marker.write_text(json.dumps(made, ensure_ascii=False))
    return path, made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--prefix", type=int, default=0, help="also compare on the first N rows")
    parser.add_argument("--skip-frictionless", action="store_true")
    parser.add_argument(
        "--read", action="store_true", help="also time read_table alone on the same file"
    )
    parser.add_argument("--quick", action="store_true", help="20,000 rows, to check the script")
    add_results_argument(parser)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1])), ensure_ascii=False))
        return
    if args.quick:
        args.rows, args.prefix = 20_000, min(args.prefix, 5_000)
    record = RunRecord(
        "quality", args.quick, {"frictionless": version("frictionless")}, snapshot_revision()
    )
    from tsunagu.quality.standards import get_standard

    path, made = source_file(args.rows)
    summary: dict[str, Any] = {
        "standard": STANDARD,
        "rows": args.rows,
        "columns": len(get_standard(STANDARD).fields),
        "file_mb": path.stat().st_size / 1e6,
        **made,
        "runs": [],
        "targets": {"ratio": TARGET_RATIO, "peak_mb": TARGET_PEAK_MB},
    }
    targets = [(args.rows, path)]
    if args.prefix:
        targets.insert(0, (args.prefix, prefix(path, args.prefix)))
    for rows, target in targets:
        runs: dict[str, Any] = {"rows": rows, "tsunagu": run_child("tsunagu", target)}
        print(json.dumps(runs["tsunagu"], ensure_ascii=False), flush=True)
        if args.read:
            runs["read"] = run_child("read", target)
            print(json.dumps(runs["read"], ensure_ascii=False), flush=True)
        if not args.skip_frictionless:
            runs["frictionless"] = run_child("frictionless", target)
            print(json.dumps(runs["frictionless"], ensure_ascii=False), flush=True)
        summary["runs"].append(runs)
    out = write_result("quality", record.finish(), summary, args.results_dir)
    print(render_section("quality", out))


if __name__ == "__main__":
    main()
