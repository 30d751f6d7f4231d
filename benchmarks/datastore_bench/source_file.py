"""Step 1 of the datastore benchmark: the seeded cp932 CSV shaped like municipal data."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from datastore_bench.config import GENERATOR_VERSION, WORK
from datastore_bench.helpers import log
from datastore_bench.vocabulary import (
    CITIES,
    FIRST_DAY,
    HEADER,
    KANJI_NUMBERS,
    KINDS,
    LAST_DAY,
    NICE_NAMES,
    REIWA_START,
    REMARKS,
    WIDE,
)


@dataclass
class SourceFile:
    path: Path
    rows: int
    size: int
    sha256: str
    generate_seconds: float
    # What the ingest must produce: non-empty cells per column and a few sums.
    expected: dict[str, Any]


def _era_date(day: dt.date, rng: random.Random) -> str:
    wide = rng.random() < 0.2
    if day >= REIWA_START:
        era, short, year = "令和", "R", day.year - 2018
    else:
        era, short, year = "平成", "H", day.year - 1988
    style = rng.random()
    if style < 0.45 or wide:
        named = "元" if year == 1 and rng.random() < 0.5 else str(year)
        text = f"{era}{named}年{day.month}月{day.day}日"
        return text.translate(WIDE) if wide else text
    if style < 0.85:
        return f"{short}{year}.{day.month}.{day.day}"
    return f"{short}{year:02d}/{day.month:02d}/{day.day:02d}"


def _capacity(rng: random.Random) -> int:
    return rng.randint(10, 200) if rng.random() < 0.7 else rng.randint(200, 3000)


def generate(path: Path, rows: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    cities = [c[0] for c in CITIES]
    city_cum = list(np.cumsum([c[1] for c in CITIES]))
    city_info = {c[0]: c for c in CITIES}
    kinds = [k for k, _ in KINDS]
    kind_cum = list(np.cumsum([w for _, w in KINDS]))
    span = (LAST_DAY - FIRST_DAY).days
    expected: dict[str, Any] = {
        "開設日": 0,
        "定員": 0,
        "前年比": 0,
        "備考": 0,
        "定員_sum": 0,
        "前年比_negative": 0,
        "wide_digits": 0,
        "era_dates": 0,
        "kinds": defaultdict(int),
    }
    with path.open("w", encoding="cp932", newline="") as out:
        writer = csv.writer(out)  # CRLF line ends, as files saved on Windows have
        writer.writerow(HEADER)
        for i in range(rows):
            city = rng.choices(cities, cum_weights=city_cum)[0]
            _, _, towns, area = city_info[city]
            town = rng.choice(towns)
            kind = rng.choices(kinds, cum_weights=kind_cum)[0]
            expected["kinds"][kind] += 1
            r = rng.random()
            if r < 0.35:
                name = f"{town}{kind}"
            elif r < 0.5:
                name = f"{city}立{town}{kind}"
            elif r < 0.7:
                name = f"{town}第{rng.choice(KANJI_NUMBERS)}{kind}"
            else:
                name = f"{rng.choice(NICE_NAMES)}{kind}"
            prefix = "山口県" if rng.random() < 0.2 else ""
            number = f"{rng.randint(1, 999)}-{rng.randint(1, 30)}"
            if rng.random() < 0.5:
                number = number.translate(WIDE)
                expected["wide_digits"] += 1
            address = f"{prefix}{city}{town}{number}"
            r = rng.random()
            if r < 0.01:
                opened = "不明"
            elif r < 0.015:
                opened = ""
            else:
                opened = _era_date(FIRST_DAY + dt.timedelta(days=rng.randrange(span)), rng)
                expected["開設日"] += 1
                expected["era_dates"] += 1
            r = rng.random()
            if r < 0.02:
                capacity = "－"
            else:
                n = _capacity(rng)
                expected["定員"] += 1
                expected["定員_sum"] += n
                if r < 0.5:
                    capacity = f"{n:,}".translate(WIDE)
                    expected["wide_digits"] += 1
                elif r < 0.75:
                    capacity = f"{n:,}"
                else:
                    capacity = str(n)
            r = rng.random()
            if r < 0.03:
                change = "－"
            else:
                value = rng.randint(-150, 150) / 10
                expected["前年比"] += 1
                if value < 0:
                    expected["前年比_negative"] += 1
                    change = f"△{-value:.1f}" if r < 0.7 else f"{value:.1f}"
                else:
                    change = f"{value:.1f}"
            lat = f"{rng.uniform(33.90, 34.80):.5f}"
            lon = f"{rng.uniform(130.90, 132.20):.5f}"
            phone = f"{area}-{rng.randint(20, 99)}-{rng.randint(1000, 9999)}"
            r = rng.random()
            if r < 0.5:
                remark = ""
            elif r < 0.6:
                remark = "－"
            else:
                remark = rng.choice(REMARKS)
                expected["備考"] += 1
            writer.writerow(
                [str(i + 1), name, address, kind, opened, capacity, change, lat, lon, phone, remark]
            )
    expected["kinds"] = dict(expected["kinds"])
    return expected


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def source_file(rows: int, seed: int) -> SourceFile:
    """The generated file, reused when one of the same version, size and seed is on disk (the
    generator is deterministic, so it would be byte for byte the same)."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"datastore-{rows}-s{seed}.csv"
    marker = path.with_suffix(".json")
    if path.exists() and marker.exists():
        info = json.loads(marker.read_text())
        if info.get("version") == GENERATOR_VERSION and info.get("size") == path.stat().st_size:
            log(f"reusing {path.name}")
            return SourceFile(
                path, rows, info["size"], info["sha256"], info["generate_seconds"], info["expected"]
            )
    log(f"generating {rows:,} rows (seed {seed})")
    started = time.perf_counter()
    expected = generate(path, rows, seed)
    seconds = time.perf_counter() - started
    size = path.stat().st_size
    digest = sha256_of(path)
    marker.write_text(
        json.dumps(
            {
                "version": GENERATOR_VERSION,
                "size": size,
                "sha256": digest,
                "generate_seconds": seconds,
                "expected": expected,
            },
            ensure_ascii=False,
        )
    )
    return SourceFile(path, rows, size, digest, seconds, expected)


def prefix_file(source: SourceFile, rows: int) -> Path:
    """The header and first `rows` data rows (no field spans lines, so lines are rows)."""
    path = WORK / f"datastore-{source.rows}-head{rows}.csv"
    with source.path.open("rb") as src, path.open("wb") as out:
        for n, line in enumerate(src):
            if n > rows:
                break
            out.write(line)
    return path
