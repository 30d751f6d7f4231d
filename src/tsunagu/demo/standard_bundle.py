"""A municipality's standard datasets as a folder of files plus a metadata sheet, the way staff
bring them to the many-files-at-once page (workspace/batch): files named
``<全国地方公共団体コード>_<english_name>.csv`` as the Digital Agency names them, and an Excel
sheet with one row per dataset.

Used by the batch tests and benchmarks/staff.py; try it with ``tsunagu``'s batch page by
writing the files out (``write_bundle``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import openpyxl

from tsunagu.demo import (
    files_bousai,
    files_documents,
    files_facilities,
    files_population,
    files_tourism,
    files_welfare,
)
from tsunagu.demo.datasets_municipal import KINDS
from tsunagu.demo.places import BY_SLUG

Generator = Callable[[str], bytes]


def _opendata_list(slug: str) -> bytes:
    muni = BY_SLUG[slug]
    entry = ("避難場所", "概要", "防災", "CSV", "随時", "cc-by-4.0", "x", "")
    return files_documents.opendata_list(muni.code, muni.name, (entry,))


# english name in the file → its generator: fourteen standard datasets and a community bus
# timetable that follows none. Titles, frequencies and tags come from the demo's own kinds.
GENERATORS: dict[str, Generator] = {
    "evacuation_space": files_bousai.evacuation_space,
    "aed_location": files_bousai.aed_location,
    "fire_hydrant": files_bousai.fire_hydrant,
    "public_facility": files_facilities.public_facility,
    "public_toilet": files_facilities.public_toilet,
    "public_wireless_lan": files_facilities.public_wireless_lan,
    "bus_stop": files_facilities.bus_stop,
    "population": files_population.population,
    "tourism": files_tourism.tourism,
    "event": files_tourism.event,
    "cultural_property": files_tourism.cultural_property,
    "child_care_facility": files_welfare.child_care_facility,
    "medical_institution": files_welfare.medical_institution,
    "care_service": files_welfare.care_service,
    "opendata_list": _opendata_list,
}
SHEET_HEADER = ("タイトル", "説明", "ファイル名", "ライセンス", "更新頻度", "タグ", "カテゴリ")


def file_name(slug: str, kind: str) -> str:
    return f"{BY_SLUG[slug].code}_{kind}.csv"


def standard_files(slugs: tuple[str, ...] = ("shimonoseki-city", "yamaguchi-city")) -> dict:
    """File name → content: every kind for every municipality (15 × 2 = 30 files)."""
    return {
        file_name(slug, kind): make(slug) for slug in slugs for kind, make in GENERATORS.items()
    }


def metadata_sheet(
    names: list[str],
    *,
    titles: dict[str, str] | None = None,
    category: str = "",
    license_text: str = "CC BY 4.0",
) -> bytes:
    """An .xlsx metadata sheet with a title row above the header (as clerks make them) and one
    row per file; `titles` overrides the title of some files; `category` fills the カテゴリ
    column of the disaster-prevention kinds (it must name an existing group)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "メタデータ"
    sheet.append(["オープンデータ一括登録シート"])
    sheet.append(list(SHEET_HEADER))
    for name in names:
        code, kind = name.removesuffix(".csv").split("_", 1)
        place = next(m.name for m in BY_SLUG.values() if m.code == code)
        about = KINDS[kind]
        sheet.append(
            [
                (titles or {}).get(name) or f"{place} {about.title}",
                f"{place}の{about.lead}",
                name,
                license_text,
                about.frequency,
                "、".join(about.tags),
                category if "bousai" in about.groups else "",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_bundle(folder: Path, slugs: tuple[str, ...] = ("shimonoseki-city",)) -> list[Path]:
    """Write the files and their metadata sheet into `folder`; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    files = standard_files(slugs)
    written = []
    for name, content in files.items():
        (folder / name).write_bytes(content)
        written.append(folder / name)
    sheet = folder / "metadata.xlsx"
    sheet.write_bytes(metadata_sheet(list(files)))
    return [*written, sheet]
