"""Would a compiled CSV reader make a big ingest faster? pyarrow's, measured against ours.

The ingest of the datastore benchmark's million-row Shift_JIS file is bound by Python on two
cores (docs/datastore.md, *Known limitations*). This loads the same file three ways, in turns,
and prints the seconds until the table is queryable (rows in, B-tree indexes built; the
full-text index, built afterwards, is left out of all three):

- **tsunagu**: the ingest as it is (a reader process converts, this one inserts), in-process
  like benchmarks/datastore.py's ingest but without the server;
- **arrow**: pyarrow's streaming CSV reader (C++, Shift_JIS decoded by it) in a thread, each
  column kept as arrow data when it is clean (plain integers and decimals cast, clean text as
  read) and otherwise converted by Tsunagu's own per-cell converters on the batch's distinct
  spellings, ``_full_text`` joined by arrow, then the values made Python objects for
  ``executemany``, as SQLite's Python driver needs them;
- **floor**: raw SQLite inserting the rows Tsunagu stored and building the same indexes (the
  yardstick of benchmarks/RESULTS.md).

It checks that the arrow load stored exactly the rows Tsunagu stored. Nothing is written to
benchmarks/results: this is a record of a measured alternative, not a target.

Usage: ``python benchmarks/arrow_reader.py [--repeat 2]``. Needs pyarrow, which the project does
not install; from a separate virtual environment:
``python3.11 -m venv /tmp/arrow && /tmp/arrow/bin/pip install pyarrow -e . && /tmp/arrow/bin/python
benchmarks/arrow_reader.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from datastore_bench.baselines import sqlite_floor
from datastore_bench.config import WORK
from datastore_bench.helpers import log
from datastore_bench.ingest_child import prepare_catalog
from datastore_bench.source_file import source_file

from tsunagu.bootstrap import build_services
from tsunagu.config import Settings
from tsunagu.datastore import fulltext, pipeline, tables
from tsunagu.datastore.ingest.batches import ColumnConverter
from tsunagu.datastore.ingest.infer import column_converter, converter
from tsunagu.datastore.ingest.missing import _PLACEHOLDER_CHARS
from tsunagu.datastore.ingest.stored import sqlite_stored
from tsunagu.datastore.jobs import claim_next
from tsunagu.registry import action_names

ROWS, SEED = 1_000_000, 20261125
# Cells each kind takes as they are (RE2 has no lookahead: a decimal below 0.0001, which str()
# prints with an exponent, and one of more than 8 fraction digits are looked for apart).
CLEAN = {
    "int": r"^(?:[1-9][0-9]{0,17}|0)$",
    "numeric": r"^-?(?:0\.|[1-9][0-9]{0,6}\.)[0-9]{0,7}[1-9]0*$",
}
NOT_CLEAN_DECIMAL = r"^-?0\.0000|\.[0-9]{9}"
# Text stored as read: not starting with whitespace or a placeholder mark (「－」「…」 alone are
# missing), no full-width ASCII or U+3000 to fold, no whitespace at the end.
TEXT_START = "^[^\\s" + "".join(f"\\x{{{ord(c):x}}}" for c in _PLACEHOLDER_CHARS) + "]"
NOT_CLEAN_TEXT = r"[\x{ff01}-\x{ff5e}\x{3000}]|\s$"


def load_tsunagu(csv_path: Path, data_dir: Path) -> tuple[float, Path]:
    """The ingest as it is, until the B-tree indexes are built; its seconds and database."""
    prepare_catalog(data_dir, "", csv_path)
    action_names()
    services = build_services(Settings(data_dir=data_dir, database_url=""))
    job = claim_next(services)
    assert job is not None
    queryable: list[float] = []
    full_text = pipeline.index_full_text
    pipeline.index_full_text = lambda *args, **kwargs: queryable.append(time.perf_counter())  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        pipeline.run_job(services, job)
    finally:
        pipeline.index_full_text = full_text
        services.engine.dispose()
    return queryable[0] - started, data_dir / "tsunagu.db"


def _table_of(db: Path) -> tuple[str, str, list[str], list[str], list[str]]:
    """The ingested table of ``db``: name, CREATE TABLE, CREATE INDEX statements, field names
    and kinds (as the ingest inferred them)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        name, fields = con.execute("SELECT table_name, fields FROM datastore_table").fetchone()
        create = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        indexes = con.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (name,),
        ).fetchall()
    parsed = json.loads(fields)
    return (
        name,
        create[0],
        [sql for (sql,) in indexes],
        [f["id"] for f in parsed],
        [f["type"] for f in parsed],
    )


class ArrowLoad:
    """The arrow path for one file whose columns are ``kinds``."""

    def __init__(self, kinds: list[str]) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        self.pa, self.pc, self.kinds = pa, pc, kinds
        self.cells = [column_converter(k, sqlite_stored(k)) for k in kinds]  # type: ignore[arg-type]
        self.text = ColumnConverter("text", converter("text"))

    def _all(self, column: Any, pattern: str) -> bool:
        pc = self.pc
        matched = pc.or_(pc.is_null(column), pc.match_substring_regex(column, pattern))
        return pc.all(matched).as_py() is not False

    def _distinct(self, column: Any, convert: Callable[[Any], Any], kind: str) -> tuple[Any, Any]:
        """Values and texts of a column converted per distinct spelling by Tsunagu's converter."""
        pa, pc = self.pa, self.pc
        encoded = pc.dictionary_encode(column)
        values = [convert(cell) for cell in encoded.dictionary.to_pylist()]
        texts = [None if v is None or v == "" else str(v) for v in values]
        if kind == "numeric":  # a REAL column stores an int as a float; its text stays str(int)
            values = [v if v is None or v.__class__ is float else float(v) for v in values]
        arrow_type = {"int": pa.int64(), "numeric": pa.float64()}.get(kind, pa.string())
        indices = encoded.indices
        return pc.take(pa.array(values, arrow_type), indices), pc.take(pa.array(texts), indices)

    def convert(self, batch: Any) -> list[list[Any]]:
        """One record batch as Python columns for executemany, ``_full_text`` last."""
        pa, pc = self.pa, self.pc
        values, texts = [], []
        for kind, convert, column in zip(self.kinds, self.cells, batch.columns, strict=True):
            column = pc.if_else(pc.equal(column, ""), None, column)  # "" is missing
            clean = CLEAN.get(kind)
            taken = (
                clean is not None
                and pc.all(
                    pc.or_(pc.is_null(column), pc.match_substring_regex(column, clean))
                ).as_py()
                is not False
            )
            if taken and kind == "numeric":
                taken = not pc.any(pc.match_substring_regex(column, NOT_CLEAN_DECIMAL)).as_py()
            if taken and kind == "int":
                value, text = pc.cast(column, pa.int64()), column
            elif taken:
                value, text = pc.cast(column, pa.float64()), pc.utf8_rtrim(column, characters="0")
            elif kind == "text":  # Tsunagu's own column conversion (folding, placeholders)
                value = text = pa.array(self.text(tuple(column.to_pylist())), pa.string())
            else:
                value, text = self._distinct(column, convert, kind)
            values.append(value)
            texts.append(text)
        joined = pc.binary_join_element_wise(
            *texts, tables.FULL_TEXT_SEPARATOR, null_handling="skip"
        )
        full_text = pc.binary_join_element_wise(
            joined, fulltext.FULL_TEXT_END, "", null_handling="skip"
        )
        return [v.to_pylist() for v in values] + [full_text.to_pylist()]

    def batches(self, path: Path, names: list[str]) -> Iterator[list[list[Any]]]:
        import pyarrow.csv as pcsv

        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(encoding="cp932", block_size=1 << 20),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, self.pa.string()), strings_can_be_null=False
            ),
        )
        for batch in reader:
            yield self.convert(batch)


def load_arrow(
    csv_path: Path, db: Path, create: str, indexes: list[str], names: list[str], kinds: list[str]
) -> float:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(create)
    table = create.split('"')[1]
    columns = ", ".join(tables.quote(n) for n in [*names, "_full_text"])
    insert = f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join("?" * (len(names) + 1))})'
    arrow = ArrowLoad(kinds)
    started = time.perf_counter()
    # Arrow reads and converts in a thread (its C++ releases the GIL) while this one inserts.
    converted: queue.Queue[list[list[Any]] | None] = queue.Queue(maxsize=4)

    def produce() -> None:
        try:
            for batch in arrow.batches(csv_path, names):
                converted.put(batch)
        finally:
            converted.put(None)

    threading.Thread(target=produce, daemon=True).start()
    while (columns_of_batch := converted.get()) is not None:
        con.execute("BEGIN")
        con.executemany(insert, zip(*columns_of_batch, strict=True))
        con.execute("COMMIT")
    con.execute("BEGIN")
    for statement in indexes:
        con.execute(statement)
    con.execute("COMMIT")
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def same_rows(a: Path, b: Path, table: str) -> bool:
    query = f'SELECT * FROM "{table}" ORDER BY _id'
    with sqlite3.connect(a) as first, sqlite3.connect(b) as second:
        left, right = first.execute(query), second.execute(query)
        while True:
            x, y = left.fetchmany(10_000), right.fetchmany(10_000)
            if x != y:
                return False
            if not x:
                return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    try:
        import pyarrow
    except ImportError:
        raise SystemExit("needs pyarrow (see this script's docstring)") from None
    source = source_file(ROWS, SEED)
    figures: dict[str, list[float]] = {"tsunagu": [], "arrow": [], "floor": []}
    identical = True
    for turn in range(args.repeat):
        log(f"turn {turn + 1}: tsunagu")
        seconds, db = load_tsunagu(source.path, WORK / f"arrow-tsunagu-{os.getpid()}")
        figures["tsunagu"].append(seconds)
        table, create, indexes, names, kinds = _table_of(db)
        log(f"turn {turn + 1}: arrow")
        arrow_db = WORK / f"arrow-{os.getpid()}.db"
        figures["arrow"].append(load_arrow(source.path, arrow_db, create, indexes, names, kinds))
        identical = identical and same_rows(db, arrow_db, table)
        log(f"turn {turn + 1}: floor")
        indexed = [statement.rsplit("(", 1)[1].strip('")') for statement in indexes]
        floor = sqlite_floor(db, table, indexed)
        figures["floor"].append(floor["insert"] + floor["indexes"])  # as datastore.py's
    print(f"pyarrow {pyarrow.__version__}, {ROWS:,} rows, queryable seconds per turn:")
    for name, values in figures.items():
        ratios = [v / f for v, f in zip(values, figures["floor"], strict=True)]
        shown = ", ".join(
            f"{v:.2f} s ({r:.2f}× floor)" for v, r in zip(values, ratios, strict=True)
        )
        print(f"  {name:8s} {shown}")
    print("arrow stored the same rows as tsunagu" if identical else "ROWS DIFFER")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
