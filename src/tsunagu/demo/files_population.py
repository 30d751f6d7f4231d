"""Generators for population files: 地域・年齢別人口 (standard 11) and prefectural estimates.

Totals are always consistent inside a file (総人口 = 男性 + 女性 = sum of the age bands), so a
later quality check can tell formatting problems apart from arithmetic ones.
"""

from __future__ import annotations

import random
from datetime import date

from openpyxl.styles import Font

from tsunagu.demo.common import (
    BORDER,
    CENTER,
    HEADER_FILL,
    MISSING,
    NUMBER_FORMAT,
    SANKAKU_FORMAT,
    csv_bytes,
    kanji_number,
    new_workbook,
    rng_for,
    sankaku,
    set_widths,
    thousands,
    wareki,
    workbook_bytes,
    write_table,
)
from tsunagu.demo.places import (
    BY_SLUG,
    PREF_CODE,
    PREF_NAME,
    Municipality,
    all_local_governments,
)

BANDS = [f"{low}-{low + 4}歳" for low in range(0, 100, 5)] + ["100歳以上"]
# Shares of each 5-year band in a Yamaguchi-like (old) population, and the male share in it.
_BAND_WEIGHTS = [3.3, 3.8, 4.0, 4.1, 3.8, 3.8, 4.2, 4.8, 5.6, 6.6, 6.2, 6.0, 6.4, 7.8, 8.6, 6.4,
                 5.4, 4.0, 2.0, 0.6, 0.1]  # fmt: skip
_MALE_SHARE = [0.51, 0.51, 0.51, 0.51, 0.52, 0.51, 0.50, 0.50, 0.50, 0.50, 0.50, 0.49, 0.49,
               0.48, 0.47, 0.45, 0.41, 0.35, 0.28, 0.20, 0.12]  # fmt: skip

POPULATION_HEADER = [
    "全国地方公共団体コード",
    "地域コード",
    "地方公共団体名",
    "調査年月日",
    "地域名",
    "総人口",
    "男性",
    "女性",
    *[f"{band}の{sex}" for band in BANDS for sex in ("男性", "女性")],
    "世帯数",
    "備考",
]

SURVEY_DATES = (date(2024, 3, 31), date(2025, 3, 31))


def _age_structure(rng: random.Random, total: int, rural: bool) -> list[tuple[int, int]]:
    """(male, female) per band; rural districts are older."""
    weights = []
    for index, weight in enumerate(_BAND_WEIGHTS):
        factor = 1.3 if rural and index >= 13 else (0.8 if rural and 4 <= index <= 8 else 1.0)
        weights.append(weight * factor * rng.uniform(0.8, 1.2))
    scale = total / sum(weights)
    bands = []
    for weight, share in zip(weights, _MALE_SHARE, strict=True):
        count = round(weight * scale)
        male = round(count * min(0.95, share * rng.uniform(0.95, 1.05)))
        bands.append((male, count - male))
    return bands


def _regions(muni: Municipality) -> list[tuple[str, str, bool]]:
    """(地域コード, 地域名, rural) rows: each 丁目 of urban districts, whole rural districts."""
    regions = []
    for area_no, area in enumerate(muni.areas, 1):
        if area.chome:
            for chome in range(1, area.chome + 1):
                name = f"{area.town}{kanji_number(chome)}丁目"
                regions.append((f"{area_no:03d}{chome:03d}", name, False))
        else:
            regions.append((f"{area_no:03d}000", area.town, True))
    return regions


def _population_rows(muni: Municipality) -> list[tuple[date, str, str, int, int, list, int]]:
    """(date, code, name, male, female, bands, households) for both survey dates."""
    rng = rng_for(f"{muni.code}_population")
    base = {
        code: (rng.randint(600, 4500) if not rural else rng.randint(1200, 7000))
        for code, _name, rural in _regions(muni)
    }
    rows = []
    for year_index, survey in enumerate(SURVEY_DATES):
        for code, name, rural in _regions(muni):
            # About 1% fewer people a year, as in most of the prefecture.
            total = round(base[code] * (1 - 0.011 * year_index * rng.uniform(0.5, 1.5)))
            bands = _age_structure(rng, total, rural)
            male = sum(m for m, _f in bands)
            female = sum(f for _m, f in bands)
            households = round((male + female) / rng.uniform(1.9, 2.4))
            rows.append((survey, code, name, male, female, bands, households))
    return rows


def population(
    slug: str, *, encoding: str = "utf-8-sig", messy: bool = False, slash_dates: bool = False
) -> bytes:
    """地域・年齢別人口. messy: 和暦 dates, "1,234" numbers and － for zero (cp932 exports)."""
    muni = BY_SLUG[slug]
    rows = []
    for survey, code, name, male, female, bands, households in _population_rows(muni):
        numbers = [male + female, male, female, *[v for pair in bands for v in pair], households]
        if messy:
            cells: list[object] = [thousands(n) if n else MISSING for n in numbers]
            day = wareki(survey)
        else:
            cells = list(numbers)
            day = survey.strftime("%Y/%m/%d") if slash_dates else survey.isoformat()
        households_cell = cells.pop()
        rows.append([muni.code, code, muni.name, day, name, *cells, households_cell, ""])
    return csv_bytes(POPULATION_HEADER, rows, encoding=encoding, quote_all=messy)


def population_xlsx(slug: str) -> bytes:
    """地域・年齢別人口 as a workbook: title and unit rows above, 出典 note below."""
    muni = BY_SLUG[slug]
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "町字別年齢別人口"
    latest = SURVEY_DATES[-1]
    rows = [
        [muni.code, code, muni.name, survey.isoformat(), name, male + female, male, female]
        + [v for pair in bands for v in pair]
        + [households, ""]
        for survey, code, name, male, female, bands, households in _population_rows(muni)
        if survey == latest
    ]
    write_table(
        sheet,
        POPULATION_HEADER,
        rows,
        title=f"{muni.name} 町字別・年齢（5歳階級）別・男女別人口（{wareki(latest)}現在）",
        unit="（単位：人、世帯）",
        note="※出典：住民基本台帳（外国人住民を含む）",
        number_formats={col: NUMBER_FORMAT for col in range(6, len(POPULATION_HEADER))},
        widths=[12, 10, 10, 12, 20] + [9] * (len(POPULATION_HEADER) - 5),
    )
    return workbook_bytes(workbook)


TREND_HEADER = [
    "年月",
    "世帯数",
    "人口総数",
    "男",
    "女",
    "前月比_世帯数",
    "前月比_人口",
    "出生",
    "死亡",
    "転入",
    "転出",
]


def population_trend(slug: str, *, encoding: str = "cp932") -> bytes:
    """月別人口・世帯数の推移: 令和5年4月 style months, "1,234" and △ for decreases."""
    muni = BY_SLUG[slug]
    rng = rng_for(f"{muni.code}_population_trend")
    people = muni.population + 1800
    households = round(people / 2.15)
    rows = []
    for offset in range(24):
        year, month = 2023 + (offset + 3) // 12, (offset + 3) % 12 + 1
        births = round(people * rng.uniform(0.00045, 0.0006))
        deaths = round(people * rng.uniform(0.0011, 0.0016))
        moved_in = round(people * rng.uniform(0.002, 0.0045) * (2.2 if month == 4 else 1))
        moved_out = round(people * rng.uniform(0.0022, 0.0045) * (2.5 if month == 3 else 1))
        change = births - deaths + moved_in - moved_out
        household_change = round(change * rng.uniform(-0.2, 0.6)) + rng.randint(-10, 40)
        people += change
        households += household_change
        male = round(people * 0.476)
        rows.append(
            [
                f"{wareki(date(year, month, 1), 'year')}{month}月",
                thousands(households),
                thousands(people),
                thousands(male),
                thousands(people - male),
                sankaku(household_change),
                sankaku(change),
                births,
                deaths,
                moved_in,
                moved_out,
            ]
        )
    title = [[f"{muni.name}の人口・世帯数の推移（住民基本台帳、各月末日現在）"]]
    return csv_bytes(TREND_HEADER, rows, encoding=encoding, preamble=title)


def _municipal_population(year_index: int, pop: int, rng: random.Random) -> int:
    """Population of a 市町 some years after 令和2年, shrinking about 1% a year."""
    return round(pop * (1 + 0.0105 * (4 - year_index)) * rng.uniform(0.998, 1.002))


BY_MUNICIPALITY_HEADER = [
    "調査年月日",
    "全国地方公共団体コード",
    "市町名",
    "世帯数",
    "人口総数",
    "男",
    "女",
    "対前年増減数",
    "対前年増減率（%）",
    "人口密度（人/k㎡）",
]


def population_by_municipality(*, encoding: str = "cp932") -> bytes:
    """市町別推計人口（各年10月1日）: 和暦 dates, "1,234", △ and － for the base year."""
    rng = rng_for(f"{PREF_CODE}_population_by_municipality")
    rows = []
    previous: dict[str, int] = {}
    for year_index, year in enumerate(range(2020, 2025)):
        survey = date(year, 10, 1)
        for code, name, pop, area in all_local_governments():
            people = _municipal_population(year_index, pop, rng)
            male = round(people * rng.uniform(0.47, 0.485))
            households = round(people / rng.uniform(2.0, 2.3))
            if code in previous:
                change = people - previous[code]
                change_cells = [sankaku(change), sankaku(change / previous[code] * 100, digits=2)]
            else:
                change_cells = [MISSING, MISSING]
            previous[code] = people
            rows.append(
                [
                    wareki(survey),
                    code,
                    name,
                    thousands(households),
                    thousands(people),
                    thousands(male),
                    thousands(people - male),
                    *change_cells,
                    f"{people / area:,.1f}",
                ]
            )
    return csv_bytes(BY_MUNICIPALITY_HEADER, rows, encoding=encoding)


def population_estimate_monthly() -> bytes:
    """人口移動統計調査 月報: two-row merged header, numeric △ format, title/unit/note rows."""
    rng = rng_for(f"{PREF_CODE}_population_estimate_monthly")
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "市町別推計人口"
    sheet.cell(
        1, 1, f"{PREF_NAME}人口移動統計調査 市町別推計人口（{wareki(date(2025, 3, 1))}現在）"
    )
    sheet.cell(1, 1).font = Font(bold=True, size=12)
    sheet.cell(2, 14, "（単位：人、世帯）")
    groups = [
        ("市町名", 1, 1),
        ("全国地方公共団体コード", 2, 2),
        ("世帯数", 3, 3),
        ("人口", 4, 6),
        ("前月比増減", 7, 8),
        ("自然動態", 9, 11),
        ("社会動態", 12, 14),
    ]
    subheads = ["総数", "男", "女", "世帯", "人口", "出生", "死亡", "増減", "転入", "転出", "増減"]
    for text, first, last in groups:
        sheet.cell(3, first, text)
        sheet.merge_cells(start_row=3, start_column=first, end_row=3 if last > first else 4,
                          end_column=last)  # fmt: skip
    for col, text in enumerate(subheads, start=4):
        sheet.cell(4, col, text)
    for row in (3, 4):
        for col in range(1, 15):
            cell = sheet.cell(row, col)
            cell.font, cell.fill, cell.border, cell.alignment = (
                Font(bold=True),
                HEADER_FILL,
                BORDER,
                CENTER,
            )
    body = []
    for code, name, pop, _area in all_local_governments():
        people = _municipal_population(4, pop, rng)
        male = round(people * rng.uniform(0.47, 0.485))
        births = round(people * rng.uniform(0.0004, 0.0006))
        deaths = round(people * rng.uniform(0.0012, 0.0017))
        moved_in = round(people * rng.uniform(0.002, 0.004))
        moved_out = round(people * rng.uniform(0.0025, 0.005))
        change = births - deaths + moved_in - moved_out
        body.append(
            [name, code, round(people / 2.17), people, male, people - male,
             round(change * 0.3) + rng.randint(-5, 15), change, births, deaths,
             births - deaths, moved_in, moved_out, moved_in - moved_out]
        )  # fmt: skip
    total: list[object] = ["県計", PREF_CODE, *(sum(r[i] for r in body) for i in range(2, 14))]
    for row_no, values in enumerate([total, *body], start=5):
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row_no, col, value)
            cell.border = BORDER
            if col >= 3:
                cell.number_format = SANKAKU_FORMAT if col >= 7 else NUMBER_FORMAT
    note_row = 5 + len(body) + 2
    sheet.cell(note_row, 1, "※出典：山口県「人口移動統計調査」。令和2年国勢調査確定値を基礎に、")
    sheet.cell(note_row + 1, 1, "　毎月の住民基本台帳の移動数を加減して推計した。△は減少を示す。")
    set_widths(sheet, [14, 12] + [10] * 12)
    return workbook_bytes(workbook)


BIRTHS_HEADER = ["年", "和暦", "出生数", "合計特殊出生率_山口県", "合計特殊出生率_全国"]


def births(*, encoding: str = "utf-8-sig") -> bytes:
    """出生数・合計特殊出生率の推移 (clean: ISO years, half-width digits)."""
    rng = rng_for(f"{PREF_CODE}_births")
    rows = []
    for year in range(2005, 2024):
        t = (year - 2005) / 18
        pref_tfr = 1.38 + 0.18 * (1 - abs(t - 0.55) / 0.55) - 0.05 * t
        national = 1.26 + 0.19 * (1 - abs(t - 0.55) / 0.55) - 0.07 * t
        rows.append(
            [
                year,
                wareki(date(year, 12, 31), "year"),
                round(12100 - 5000 * t + rng.randint(-150, 150)),
                f"{pref_tfr + rng.uniform(-0.01, 0.01):.2f}",
                f"{national:.2f}",
            ]
        )
    return csv_bytes(BIRTHS_HEADER, rows, encoding=encoding)
