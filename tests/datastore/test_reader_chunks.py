"""Text files read a chunk of rows at a time (delimited._numbered, body.iter_body, chunks.py)
give exactly the rows, line numbers, notes, warnings and errors that reading them one row at a
time gives, and the chunks' columns and batches are those of the rows."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any

import pytest

from tsunagu.datastore.ingest import body, delimited
from tsunagu.datastore.ingest.batches import batch_converter, batches, chunk_batches
from tsunagu.datastore.ingest.chunks import columns_of, peek, row_chunks
from tsunagu.datastore.ingest.decode import iter_lines
from tsunagu.datastore.ingest.infer import column_converter
from tsunagu.datastore.ingest.model import IngestError
from tsunagu.datastore.ingest.readers import read_table
from tsunagu.datastore.ingest.stored import sqlite_stored

HEADER = "番号,名称,人口,備考"
CELLS = ["下関市", "1,234", "１２", "", " ", "\u3000", "－", "#N/A", "※注", "注1", "a b", "x"]


def _line(rng: random.Random, n: int) -> str:
    r = rng.random()
    if r < 0.01:
        return ""  # a blank line
    if r < 0.02:
        return "※出典：県統計"  # a note, held back until a data row follows
    if r < 0.03:
        return "一つだけの値"  # a lone cell at the left edge
    if r < 0.04:
        return f"{n},名,3"  # a short row
    if r < 0.05:
        return f"{n},名,3,備,余分"  # a long row
    if r < 0.06:
        return f'{n},"二行に\n渡る名前",3,'  # a quoted field over two lines
    if r < 0.07:
        return f"{rng.choice(CELLS)},{rng.choice(CELLS)},,"
    if r < 0.1:
        return ",".join([str(n), *(f'"{rng.choice(CELLS)}"' for _ in range(3))])
    return f"{n},施設{n},{n * 7},{'' if n % 2 else '備考'}"


def _text(seed: int, rows: int, tail: str = "") -> str:
    rng = random.Random(seed)
    return "\n".join([HEADER, *(_line(rng, n) for n in range(rows))]) + "\n" + tail


def _read(path: Path) -> dict[str, Any]:
    table = read_table(path, "CSV")
    rows: list[Any] = []
    error = None
    try:
        for row in table.rows:
            rows.append(row)
    except IngestError as exc:
        error = (exc.message, exc.line)
    return {
        "rows": rows,
        "error": error,
        "notes": table.info.notes,
        "warnings": table.info.warnings,
        "columns": table.columns,
    }


def _one_by_one(monkeypatch: pytest.MonkeyPatch, path: Path) -> dict[str, Any]:
    with monkeypatch.context() as m:
        m.setattr(delimited, "CHUNK_ROWS", 1)
        m.setattr(body, "_plain_chunk", lambda chunk, width: False)
        return _read(path)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("chunk", [1000, 7])
def test_chunks_read_what_rows_one_by_one_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, chunk: int
) -> None:
    path = tmp_path / "t.csv"
    tail = "※出典：県\n注1）単位は人\n" if seed % 2 else ""
    path.write_text(_text(seed, 3000, tail), encoding="cp932")
    expected = _one_by_one(monkeypatch, path)
    monkeypatch.setattr(delimited, "CHUNK_ROWS", chunk)
    got = _read(path)
    assert got == expected
    assert len(got["rows"]) > 2500


def test_a_clean_file_takes_the_chunk_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "\n".join([HEADER, *(f"{n},施設{n},{n},{'' if n % 3 else '－'}" for n in range(2500))]),
        encoding="utf-8",
    )
    plain: list[int] = []
    real = body._plain_chunk

    def counted(chunk: list[Any], width: int) -> bool:
        plain.append(real(chunk, width))
        return plain[-1]

    expected = _one_by_one(monkeypatch, path)
    monkeypatch.setattr(body, "_plain_chunk", counted)
    assert _read(path) == expected
    assert plain and all(plain)
    assert expected["rows"][0] == (2, ["0", "施設0", "0", "－"])
    assert expected["rows"][1] == (3, ["1", "施設1", "1", None])


@pytest.mark.parametrize(
    ("bad", "line"),
    [
        (b'8000,"never closed\n', 8002),  # an unclosed quote: a last cell running to the end
        (b"8000,\x82\xff,1,\n", 8002),  # a byte that is not Shift_JIS
    ],
)
def test_a_late_unreadable_spot_is_reported_after_the_rows_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: bytes, line: int
) -> None:
    path = tmp_path / "t.csv"
    good = "\n".join([HEADER, *(f"{n},施設{n},{n}," for n in range(8000))]) + "\n"
    path.write_bytes(good.encode("cp932") + bad + "8001,名,1,\n".encode("cp932"))
    expected = _one_by_one(monkeypatch, path)
    got = _read(path)
    assert got == expected
    assert got["rows"][-1][0] <= line
    assert got["error"] is None or got["error"][1] == line


def _lines_one_by_one(data: bytes) -> list[tuple[int, list[str]]]:
    """Where each record starts, as the csv module's own line count gives it row by row over
    the lines iter_lines splits the file into."""
    reader = csv.reader(iter_lines(io.BytesIO(data), "cp932"))
    starts, start = [], 1
    for fields in reader:
        starts.append((start, fields))
        start = reader.line_num + 1
    return starts


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("chunk", [1000, 3])
def test_rows_over_several_lines_are_numbered_as_the_csv_module_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, newline: str, chunk: int
) -> None:
    """A chunk is numbered without asking the reader row by row: from its first line when it
    took one line per row, else by the line ends inside each row's quoted fields."""
    rng = random.Random(newline)
    lines = [HEADER]
    for n in range(400):
        r = rng.random()
        if r < 0.1:
            lines.append(f'{n},"二行{newline}に渡る",3,')
        elif r < 0.15:
            lines.append(f'{n},"三{newline}{newline}行",3,"末尾{newline}"')
        elif r < 0.18:
            lines.append("")  # a blank line
        elif r < 0.2 and newline == "\n":
            lines.append(f'{n},"途中に\rだけ",3,')  # a lone CR inside quotes is not a line end
        else:
            lines.append(f"{n},施設{n},{n},")
    text = newline.join(lines) + newline
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("cp932"))
    monkeypatch.setattr(delimited, "CHUNK_ROWS", chunk)
    got = [(line, cells) for line, cells in _read(path)["rows"]]
    expected = [
        (line, [f if f.strip() else None for f in fields])
        for line, fields in _lines_one_by_one(text.encode("cp932"))[1:]
        if any(f.strip() for f in fields)
    ]
    assert got == expected
    assert got[-1][0] > 400


def test_the_columns_a_chunk_carries_are_its_rows_cells(tmp_path: Path) -> None:
    """A chunk that carries its cells column by column (empty and whitespace cells blanked there
    too) carries exactly its rows' cells; most chunks of a regular file do."""
    path = tmp_path / "t.csv"
    lines = [HEADER] + [
        f"{n},施設{n},{'' if n % 3 else ' '},{'' if n % 2 else '備考'}" for n in range(5000)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="cp932")
    table = read_table(path, "CSV")
    columnar = 0
    for chunk in row_chunks(table.rows):
        columns = columns_of(chunk)
        if columns is not None:
            columnar += 1
            assert columns == list(zip(*(cells for _, cells in chunk), strict=True))
    assert columnar >= 2
    rows = list(read_table(path, "CSV").rows)
    assert rows[0] == (2, ["0", "施設0", None, "備考"])
    assert rows[1] == (3, ["1", "施設1", None, None])


def test_rows_or_chunks_but_not_both(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *(f"{n},名{n},{n}," for n in range(3000))]), "utf-8")
    table = read_table(path, "CSV")
    assert next(iter(table.rows)) == (2, ["0", "名0", "0", None])
    with pytest.raises(RuntimeError):
        table.rows.chunks()  # type: ignore[attr-defined]
    table.rows.close()  # type: ignore[attr-defined]
    # Closed: nothing more comes, not even the rest of the chunk already begun.
    assert list(table.rows) == []


def test_closed_before_any_row_gives_none(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *(f"{n},名{n},{n}," for n in range(10))]), "utf-8")
    table = read_table(path, "CSV")
    table.rows.close()  # type: ignore[attr-defined]
    assert list(table.rows.chunks()) == []  # type: ignore[attr-defined]


def test_peek_gives_the_first_rows_and_puts_them_back() -> None:
    chunks = [[(n, [str(n)]) for n in range(start, start + 3)] for start in (1, 4, 7)]
    first, again = peek(iter(chunks), 4)
    assert [line for line, _ in first] == [1, 2, 3, 4]
    assert [row for chunk in again for row in chunk] == [row for c in chunks for row in c]


@pytest.mark.parametrize("bad", [None, 6500])
def test_batches_of_whole_chunks_convert_as_rows_do(tmp_path: Path, bad: int | None) -> None:
    """chunk_batches (whole chunks, with their columns) gives the values batches gives row by row,
    and an error in the file after the rows before it."""
    path = tmp_path / "t.csv"
    people = ["1,234", "１２", "", "－", "7", " 8 "]
    notes = ["", " ", "\u3000", "備考", "ＡＢＣ", "注1"]
    lines = [HEADER] + [
        f'{n},施設{n},"{people[n % 6] if n != bad else "abc"}",{notes[n % 5]}' for n in range(7000)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="cp932")
    kinds: list[Any] = ["int", "text", "int", "text"]

    def convert() -> Any:
        stored = [sqlite_stored(k) for k in kinds]
        converters = [column_converter(k, s) for k, s in zip(kinds, stored, strict=True)]
        return batch_converter(kinds, converters, HEADER.split(","), stored, columnwise=True)

    def values(batches_: Any) -> list[tuple[object, ...]]:
        got: list[tuple[object, ...]] = []
        try:
            for batch in batches_:
                got.extend(batch.row_tuples())
        except IngestError as error:
            got.append(("error", error.message, error.line, error.column))
        return got

    by_rows = values(batches(read_table(path, "CSV").rows, 700, convert()))
    by_chunks = values(chunk_batches(row_chunks(read_table(path, "CSV").rows), 700, convert()))
    if bad is None:
        assert by_chunks == by_rows and len(by_rows) == 7000
        return
    # The same error, after the batches before the bad one (whose bounds differ).
    assert by_chunks[-1] == by_rows[-1] and by_rows[-1][::2] == ("error", 6502)
    kept = min(len(by_chunks), len(by_rows)) - 1
    assert kept > 4000 and by_chunks[:kept] == by_rows[:kept]
