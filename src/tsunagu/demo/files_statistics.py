"""Generators for prefectural statistics: 統計年鑑 chapters, tourism counts, environment.

These imitate statistics-office spreadsheets: title and unit rows above the table, a
「※出典…」 note below, merged headers, full-width digits and △ for decreases.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from openpyxl.styles import Font

from tsunagu.demo.common import (
    BORDER,
    CENTER,
    HEADER_FILL,
    MISSING,
    NUMBER_FORMAT,
    SANKAKU_DECIMAL_FORMAT,
    csv_bytes,
    jitter,
    new_workbook,
    rng_for,
    sankaku,
    set_widths,
    thousands,
    wareki,
    workbook_bytes,
    write_table,
    zenkaku,
)
from tsunagu.demo.places import MUNICIPALITIES, PREF_CODE, all_local_governments
from tsunagu.demo.spots import SPOTS

Table = list[list[Any]]  # mixed label / number rows of a statistics table


def _with_total(rows: Table, label: str = "県計", skip: int = 1) -> Table:
    """Prepend a 県計 row summing every numeric column after the first `skip` ones."""
    total: list[Any] = [label] + [""] * (skip - 1)
    for col in range(skip, len(rows[0])):
        values = [r[col] for r in rows]
        total.append(sum(values) if all(isinstance(v, int) for v in values) else "")
    return [total, *rows]


def yearbook_population() -> bytes:
    """統計年鑑 第2章 人口: two sheets (推移 with △ text, 市町別 with numbers)."""
    rng = rng_for(f"{PREF_CODE}_statistical_yearbook_02")
    workbook = new_workbook()
    trend = workbook.active
    trend.title = "2-1 人口の推移"
    rows: Table = []
    people, households = 1_405_000, 597_000
    for year in range(2015, 2025):
        change = -round(people * rng.uniform(0.0072, 0.0098)) if year > 2015 else 0
        people += change
        households += rng.randint(-1500, 2500)
        male = round(people * 0.475)
        rows.append(
            [
                wareki(date(year, 10, 1), "year"),
                households,
                people,
                male,
                people - male,
                sankaku(change) if year > 2015 else MISSING,
                sankaku(change / (people - change) * 100, digits=2) if year > 2015 else MISSING,
                round(people / 6112.5, 1),
            ]
        )
    write_table(
        trend,
        ["年次", "世帯数", "人口総数", "男", "女", "増減数", "増減率（%）", "人口密度（人/k㎡）"],
        rows,
        title="2-1 人口の推移（各年10月1日現在）",
        unit="（単位：世帯、人）",
        note="※出典：総務省「国勢調査」（平成27年、令和2年）、山口県「人口移動統計調査」",
        number_formats={2: NUMBER_FORMAT, 3: NUMBER_FORMAT, 4: NUMBER_FORMAT, 5: NUMBER_FORMAT},
    )
    by_municipality = workbook.create_sheet("2-2 市町別人口")
    muni_rows: Table = []
    for _code, name, pop, area in all_local_governments():
        people = round(pop * rng.uniform(0.995, 1.005))
        male = round(people * rng.uniform(0.47, 0.485))
        muni_rows.append(
            [name, area, round(people / 2.17), people, male, people - male, round(people / area, 1)]
        )
    total = _with_total(muni_rows)[0]
    total[1] = round(sum(r[1] for r in muni_rows), 1)
    total[6] = round(total[3] / total[1], 1)
    write_table(
        by_municipality,
        ["市町名", "面積（k㎡）", "世帯数", "人口総数", "男", "女", "人口密度（人/k㎡）"],
        [total, *muni_rows],
        title=f"2-2 市町別面積・人口・世帯数（{wareki(date(2024, 10, 1))}現在）",
        unit="（単位：k㎡、世帯、人）",
        note="※出典：国土地理院「全国都道府県市区町村別面積調」、山口県「人口移動統計調査」",
        number_formats={c: NUMBER_FORMAT for c in (3, 4, 5, 6)},
    )
    return workbook_bytes(workbook)


def yearbook_transport() -> bytes:
    """統計年鑑 第11章 運輸: 市町別自動車保有車両数 with title, unit and 出典 rows."""
    rng = rng_for(f"{PREF_CODE}_statistical_yearbook_11")
    rows: Table = []
    for _code, name, pop, _area in all_local_governments():
        cars = round(pop * rng.uniform(0.42, 0.5))
        kei = round(pop * rng.uniform(0.33, 0.45))
        trucks = round(pop * rng.uniform(0.05, 0.08))
        buses, special = round(pop * 0.0012), round(pop * rng.uniform(0.01, 0.015))
        bikes = round(pop * rng.uniform(0.015, 0.025))
        total = cars + kei + trucks + buses + special + bikes
        rows.append([name, total, trucks, buses, cars, special, bikes, kei])
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "11-3"
    write_table(
        sheet,
        ["市町名", "総数", "貨物用", "乗合用", "乗用", "特種用途用", "小型二輪", "軽自動車"],
        _with_total(rows),
        title=f"11-3 市町別自動車保有車両数（{wareki(date(2024, 3, 31))}現在）",
        unit="（単位：台）",
        note="※出典：中国運輸局山口運輸支局調べ（軽自動車は軽自動車検査協会調べ）",
        number_formats={c: NUMBER_FORMAT for c in range(2, 9)},
    )
    return workbook_bytes(workbook)


def yearbook_education(*, encoding: str = "cp932") -> bytes:
    """統計年鑑 第19章 教育: CSV exported from Excel with a title row and full-width digits."""
    rng = rng_for(f"{PREF_CODE}_statistical_yearbook_19")
    rows: Table = []
    for _code, name, pop, _area in all_local_governments():
        pupils = round(pop * rng.uniform(0.043, 0.05))
        schools = max(1, round(pupils / rng.uniform(180, 320)))
        classes = round(pupils / rng.uniform(18, 24)) + schools
        boys = round(pupils * rng.uniform(0.5, 0.52))
        teachers = round(classes * rng.uniform(1.35, 1.6))
        special = rng.choice([0, 0, schools // 3])
        rows.append([name, schools, special, classes, pupils, boys, pupils - boys, teachers])
    cells = [
        [row[0], *[zenkaku(thousands(v)) if v else MISSING for v in row[1:]]]
        for row in _with_total(rows)
    ]
    header = [
        "市町名",
        "学校数",
        "うち分校",
        "学級数",
        "児童数_計",
        "児童数_男",
        "児童数_女",
        "教員数",
    ]
    preamble = [
        [f"19-1 市町別小学校の学校数・学級数・児童数・教員数（{wareki(date(2024, 5, 1))}現在）"],
        ["（単位：校、学級、人）"],
    ]
    footer = [[], ["※出典：文部科学省「学校基本調査」"]]
    return csv_bytes(header, cells, encoding=encoding, preamble=preamble, footer=footer)


def yearbook_health(*, encoding: str = "utf-8-sig") -> bytes:
    """統計年鑑 第17章 保健衛生: 市町別医療施設数 (clean: ISO date, plain integers)."""
    rng = rng_for(f"{PREF_CODE}_statistical_yearbook_17")
    rows = []
    for code, name, pop, _area in all_local_governments():
        hospitals = max(0, round(pop / rng.uniform(9000, 16000)))
        rows.append(
            [
                "2023-10-01",
                code,
                name,
                hospitals,
                hospitals * rng.randrange(120, 260, 10),
                round(pop / rng.uniform(900, 1300)),
                rng.randrange(0, 60, 19) if pop > 10000 else 0,
                round(pop / rng.uniform(1800, 2600)),
            ]
        )
    header = [
        "調査年月日",
        "全国地方公共団体コード",
        "市町名",
        "病院数",
        "病院病床数",
        "一般診療所数",
        "一般診療所病床数",
        "歯科診療所数",
    ]
    return csv_bytes(header, rows, encoding=encoding)


def landslide_zones(*, encoding: str = "cp932") -> bytes:
    """土砂災害警戒区域等の指定状況（市町別）: "1,234" counts and － for none."""
    rng = rng_for(f"{PREF_CODE}_landslide_warning_area")
    rows: Table = []
    for code, name, _pop, area in all_local_governments():
        debris = round(area * rng.uniform(1.6, 2.6))
        slope = round(area * rng.uniform(2.0, 3.4))
        slide = rng.choice([0, 0, round(area * 0.02)])
        rows.append(
            [
                name,
                code,
                debris,
                round(debris * rng.uniform(0.75, 0.9)),
                slope,
                round(slope * rng.uniform(0.85, 0.97)),
                slide,
                0,
            ]
        )
    header = [
        "市町名",
        "全国地方公共団体コード",
        "土石流_警戒区域",
        "土石流_特別警戒区域",
        "急傾斜地の崩壊_警戒区域",
        "急傾斜地の崩壊_特別警戒区域",
        "地すべり_警戒区域",
        "地すべり_特別警戒区域",
    ]
    table = _with_total(rows, skip=2)
    table[0][1] = PREF_CODE
    cells = [row[:2] + [thousands(v) if v else MISSING for v in row[2:]] for row in table]
    return csv_bytes(header, cells, encoding=encoding)


def tourist_counts_by_municipality() -> bytes:
    """観光客動態調査 市町別観光客数: merged group headers over years, △ percentage format."""
    rng = rng_for(f"{PREF_CODE}_tourist_count_by_municipality")
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "市町別観光客数"
    sheet.cell(1, 1, "山口県観光客動態調査 市町別観光客数の推移").font = Font(bold=True, size=12)
    sheet.cell(2, 7, "（単位：人、%）")
    top = [
        ("市町名", 1, 1),
        ("観光客数（延べ）", 2, 4),
        ("対前年増減率", 5, 5),
        ("うち宿泊者数", 6, 7),
    ]
    for text, first, last in top:
        sheet.cell(3, first, text)
        single = first == last
        sheet.merge_cells(
            start_row=3, start_column=first, end_row=4 if single else 3, end_column=last
        )
    for col, text in zip(
        (2, 3, 4, 6, 7), ("令和4年", "令和5年", "令和6年", "令和5年", "令和6年"), strict=True
    ):
        sheet.cell(4, col, text)
    for row in (3, 4):
        for col in range(1, 8):
            cell = sheet.cell(row, col)
            cell.font, cell.fill, cell.border, cell.alignment = (
                Font(bold=True),
                HEADER_FILL,
                BORDER,
                CENTER,
            )
    body: Table = []
    for _code, name, pop, area in all_local_governments():
        base = round((pop * rng.uniform(8, 25) + area * rng.uniform(500, 3000)) / 100) * 100
        r4 = base
        r5 = round(r4 * rng.uniform(1.02, 1.25) / 100) * 100
        r6 = round(r5 * rng.uniform(0.93, 1.08) / 100) * 100
        stay5 = round(r5 * rng.uniform(0.04, 0.15) / 100) * 100
        stay6 = round(stay5 * rng.uniform(0.92, 1.1) / 100) * 100
        body.append([name, r4, r5, r6, round((r6 / r5 - 1) * 100, 1), stay5, stay6])
    totals = [sum(r[c] for r in body) for c in (1, 2, 3)]
    stays = [sum(r[c] for r in body) for c in (5, 6)]
    table = [["県計", *totals, round((totals[2] / totals[1] - 1) * 100, 1), *stays], *body]
    for row_no, values in enumerate(table, start=5):
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row_no, col, value)
            cell.border = BORDER
            if col > 1:
                cell.number_format = SANKAKU_DECIMAL_FORMAT if col == 5 else NUMBER_FORMAT
    sheet.cell(5 + len(table) + 1, 1, "※出典：山口県観光スポーツ文化部「山口県観光客動態調査」")
    set_widths(sheet, [14, 13, 13, 13, 12, 13, 13])
    return workbook_bytes(workbook)


def tourist_counts_by_spot(*, encoding: str = "utf-8-sig") -> bytes:
    """主要観光地の観光客数: every value quoted, "1,234" separators, △ for decreases."""
    rng = rng_for(f"{PREF_CODE}_tourist_count_by_spot")
    names = {m.slug: m.name for m in MUNICIPALITIES}
    rows = []
    for slug, spots in SPOTS.items():
        for spot in spots:
            r4 = rng.randrange(20_000, 1_200_000, 100)
            r5 = round(r4 * rng.uniform(1.0, 1.3) / 100) * 100
            r6 = round(r5 * rng.uniform(0.9, 1.1) / 100) * 100
            change = sankaku((r6 / r5 - 1) * 100, digits=1)
            rows.append([spot[0], names[slug], thousands(r4), thousands(r5), thousands(r6), change])
    header = ["観光地名", "市町名", "令和4年", "令和5年", "令和6年", "対前年増減率（%）"]
    return csv_bytes(header, rows, encoding=encoding, quote_all=True)


AIR_STATIONS = ("shimonoseki-city", "ube-city", "yamaguchi-city", "hofu-city", "shunan-city",
                "iwakuni-city", "hagi-city", "nagato-city")  # fmt: skip


def air_quality(*, encoding: str = "utf-8-sig") -> bytes:
    """大気環境常時監視 月平均値: － where a station does not measure, 欠測 for outages."""
    rng = rng_for(f"{PREF_CODE}_air_quality")
    stations = [m for m in MUNICIPALITIES if m.slug in AIR_STATIONS]
    rows = []
    for muni in stations:
        lat, lon = jitter(rng, muni.lat, muni.lon, 0.01)
        measures_so2 = rng.random() < 0.7
        for offset in range(12):
            year, month = 2024 + (offset + 3) // 12, (offset + 3) % 12 + 1
            spring = month in (4, 5, 6)

            def value(low: float, high: float, digits: int) -> str:
                if rng.random() < 0.03:
                    return "欠測"
                return f"{rng.uniform(low, high):.{digits}f}"

            rows.append(
                [
                    f"{muni.name[:-1]}局",
                    muni.name,
                    lat,
                    lon,
                    f"{year}-{month:02d}",
                    value(0.001, 0.004, 3) if measures_so2 else MISSING,
                    value(0.004, 0.016, 3),
                    value(0.038, 0.052, 3) if spring else value(0.022, 0.038, 3),
                    value(0.010, 0.026, 3),
                    value(6.0, 15.5, 1),
                ]
            )
    header = [
        "測定局名",
        "所在市町",
        "緯度",
        "経度",
        "年月",
        "二酸化硫黄（ppm）",
        "二酸化窒素（ppm）",
        "光化学オキシダント（ppm）",
        "浮遊粒子状物質（mg/m3）",
        "微小粒子状物質（μg/m3）",
    ]
    return csv_bytes(header, rows, encoding=encoding)


def waste() -> bytes:
    """一般廃棄物処理実態調査 市町別ごみ排出量: title, unit and 出典 rows around the table."""
    rng = rng_for(f"{PREF_CODE}_municipal_waste")
    rows: Table = []
    for code, name, pop, _area in all_local_governments():
        per_day = rng.uniform(820, 1050)
        total = round(pop * per_day * 365 / 1_000_000)
        household = round(total * rng.uniform(0.62, 0.74))
        recycling = round(rng.uniform(18, 38), 1)
        rows.append(
            [name, code, pop, total, household, total - household, round(per_day), recycling]
        )
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "令和5年度"
    header = [
        "市町名",
        "全国地方公共団体コード",
        "総人口",
        "ごみ総排出量",
        "生活系ごみ",
        "事業系ごみ",
        "1人1日当たり排出量",
        "リサイクル率",
    ]
    write_table(
        sheet,
        header,
        rows,
        title="市町別ごみ排出量（令和5年度）",
        unit="（単位：人、t、g/人日、%）",
        note="※出典：環境省「一般廃棄物処理実態調査」を基に山口県環境生活部作成",
        number_formats={c: NUMBER_FORMAT for c in range(3, 8)},
    )
    return workbook_bytes(workbook)
