"""Generators for child care, medical and long-term care lists (自治体標準オープンデータセット).

Names of private facilities are invented from place and nature words, never from people's
names, so nothing here can be mistaken for personal data.
"""

from __future__ import annotations

from datetime import date

from tsunagu.demo.common import (
    KINDS,
    LOCATION_COLUMNS,
    MISSING,
    Site,
    csv_bytes,
    location_values,
    new_workbook,
    phone,
    rng_for,
    sites,
    wareki,
    workbook_bytes,
    write_table,
)
from tsunagu.demo.places import BY_SLUG, Municipality

_NATURE = (
    ("さくら", "サクラ", "Sakura"),
    ("ひまわり", "ヒマワリ", "Himawari"),
    ("わかば", "ワカバ", "Wakaba"),
    ("あおぞら", "アオゾラ", "Aozora"),
    ("こすもす", "コスモス", "Cosmos"),
    ("つばさ", "ツバサ", "Tsubasa"),
    ("みどり", "ミドリ", "Midori"),
    ("ふたば", "フタバ", "Futaba"),
    ("うみかぜ", "ウミカゼ", "Umikaze"),
    ("なのはな", "ナノハナ", "Nanohana"),
    ("やまびこ", "ヤマビコ", "Yamabiko"),
    ("せせらぎ", "セセラギ", "Seseragi"),
)

CHILD_CARE_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "種別",
    "名称",
    "名称_カナ",
    "名称_英字",
    *LOCATION_COLUMNS,
    "電話番号",
    "内線番号",
    "FAX番号",
    "法人番号",
    "団体名",
    "利用可能曜日",
    "開始時間",
    "終了時間",
    "利用可能日時特記事項",
    "定員",
    "受入年齢",
    "一時預かりの有無",
    "URL",
    "備考",
]

_CHILD_KINDS = {
    "nursery": ("保育所", "月,火,水,木,金,土", "07:00", "19:00", "生後6か月～就学前"),
    "kinder": ("幼稚園", "月,火,水,木,金", "08:30", "14:00", "3歳～就学前"),
    "jidokan": ("児童館", "月,火,水,木,金,土", "09:00", "17:00", "0歳～18歳"),
    "kosodate": ("地域子育て支援拠点", "月,火,水,木,金", "09:00", "16:00", "0歳～3歳と保護者"),
    "gakudo": ("放課後児童クラブ", "月,火,水,木,金,土", "13:00", "18:30", "小学1年～6年"),
}


def child_care_facility(slug: str, *, encoding: str = "utf-8-sig", messy: bool = False) -> bytes:
    """子育て施設 (07). messy: 開設日 as R5.4.1 in 備考 and '－' for unknown capacity."""
    muni = BY_SLUG[slug]
    rng = rng_for(f"{muni.code}_child_care_facility")
    rows = []
    used: set[str] = set()
    for index, site in enumerate(sites(rng, muni, tuple(_CHILD_KINDS), share=0.7), 1):
        kind, days, start, end, ages = _CHILD_KINDS[site.kind]
        name, kana, en = site.name, site.kana, site.en
        operator = muni.name
        if site.kind in ("nursery", "kinder") and rng.random() < 0.5:
            # Half of them are private: an invented, non-personal name and operator.
            suffix, suffix_kana, suffix_en = KINDS[site.kind]
            word, word_kana, word_roman = rng.choice(_NATURE)
            name, kana, en = (
                f"{word}{suffix}",
                f"{word_kana}{suffix_kana}",
                f"{word_roman} {suffix_en}",
            )
            if name in used:
                name, kana = f"{site.area.label}{name}", f"{site.area.kana}{kana}"
                en = f"{site.area.roman} {en}"
            operator = f"社会福祉法人{rng.choice(_NATURE)[0]}福祉会"
        used.add(name)
        capacity: object = rng.randrange(20, 150, 5) if site.kind != "jidokan" else ""
        opened = date(rng.randint(1975, 2024), 4, 1)
        if messy:
            capacity = capacity or MISSING
            note = f"{wareki(opened, 'short')}開設"
        else:
            note = f"開設日 {opened.isoformat()}"
        rows.append(
            [
                muni.code,
                index,
                muni.name,
                kind,
                name,
                kana,
                en,
                *location_values(muni, site),
                phone(rng, muni),
                "",
                phone(rng, muni),
                "",
                operator,
                days,
                start,
                end,
                "祝日・年末年始を除く",
                capacity,
                ages,
                "有" if site.kind == "nursery" and rng.random() < 0.5 else "無",
                "",
                note,
            ]
        )
    return csv_bytes(CHILD_CARE_HEADER, rows, encoding=encoding)


MEDICAL_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英字",
    "医療機関の種類",
    *LOCATION_COLUMNS,
    "電話番号",
    "内線番号",
    "法人番号",
    "法人の名称",
    "医療機関コード",
    "診療曜日",
    "診療開始時間",
    "診療終了時間",
    "診療日時特記事項",
    "時間外における対応",
    "病床数",
    "診療科目",
    "URL",
    "備考",
]

_DEPARTMENTS = (
    ("内科クリニック", "ナイカクリニック", "Internal Medicine Clinic", "診療所", "内科;消化器内科"),
    (
        "整形外科医院",
        "セイケイゲカイイン",
        "Orthopedic Clinic",
        "診療所",
        "整形外科;リハビリテーション科",
    ),
    ("こどもクリニック", "コドモクリニック", "Pediatric Clinic", "診療所", "小児科;アレルギー科"),
    ("眼科", "ガンカ", "Eye Clinic", "診療所", "眼科"),
    ("皮ふ科", "ヒフカ", "Dermatology Clinic", "診療所", "皮膚科"),
    ("歯科医院", "シカイイン", "Dental Clinic", "歯科診療所", "歯科;小児歯科;矯正歯科"),
    ("耳鼻咽喉科", "ジビインコウカ", "ENT Clinic", "診療所", "耳鼻いんこう科"),
)


def _medical_rows(muni: Municipality, *, xlsx: bool) -> list[list[object]]:
    rng = rng_for(f"{muni.code}_medical_institution")
    rows: list[list[object]] = []
    index = 0
    for area in muni.areas:
        for dept in rng.sample(_DEPARTMENTS, rng.randint(2, 4)):
            index += 1
            site = Site(rng, area, "park")
            word, kana, roman = rng.choice(_NATURE)
            beds = rng.choice([0, 0, 0, 19])  # a few 有床診療所
            rows.append(
                [
                    muni.code,
                    index,
                    muni.name,
                    f"{word}{dept[0]}",
                    f"{kana}{dept[1]}",
                    f"{roman} {dept[2]}",
                    dept[3],
                    *location_values(muni, site),
                    phone(rng, muni),
                    "",
                    "",
                    "",
                    f"35{3 if dept[3] == '歯科診療所' else 1}{rng.randint(0, 9999999):07d}",
                    "月,火,水,金,土",
                    "09:00",
                    "18:00",
                    "木曜・土曜午後・日曜・祝日休診",
                    "" if rng.random() < 0.7 else "休日当番医（輪番）",
                    beds if xlsx or beds else MISSING,
                    dept[4],
                    "",
                    "",
                ]
            )
    # Each city has one public hospital (fictional name built from the city).
    index += 1
    hospital = Site(rng, muni.areas[0], "park")
    rows.append(
        [
            muni.code,
            index,
            muni.name,
            f"{muni.name[:-1]}市民病院",
            f"{muni.kana[:-1]}シミンビョウイン",
            f"{muni.roman} Municipal Hospital",
            "病院",
            *location_values(muni, hospital),
            phone(rng, muni),
            "",
            "",
            muni.name,
            f"351{rng.randint(0, 9999999):07d}",
            "月,火,水,木,金",
            "08:30",
            "17:15",
            "土日祝日は救急外来のみ",
            "24時間救急対応",
            rng.randrange(150, 450, 10),
            "内科;外科;小児科;産婦人科;整形外科;脳神経外科;救急科",
            "",
            "",
        ]
    )
    return rows


def medical_institution(slug: str, *, encoding: str = "utf-8-sig") -> bytes:
    """医療機関 (08) as CSV."""
    muni = BY_SLUG[slug]
    return csv_bytes(MEDICAL_HEADER, _medical_rows(muni, xlsx=False), encoding=encoding)


def medical_institution_xlsx(slug: str) -> bytes:
    """医療機関 (08) as a plain one-sheet workbook with the header in row 1."""
    muni = BY_SLUG[slug]
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "医療機関一覧"
    write_table(sheet, MEDICAL_HEADER, _medical_rows(muni, xlsx=True))
    sheet.freeze_panes = "A2"
    return workbook_bytes(workbook)


CARE_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英字",
    "事業所番号",
    "実施サービス",
    *LOCATION_COLUMNS,
    "電話番号",
    "FAX番号",
    "法人番号",
    "法人の名称",
    "利用可能曜日",
    "開始時間",
    "終了時間",
    "利用可能日時特記事項",
    "定員",
    "指定年月日",
    "URL",
    "備考",
]

_CARE_SERVICES = (
    ("デイサービスセンター", "デイサービスセンター", "Day Service Center", "通所介護", 30),
    ("ヘルパーステーション", "ヘルパーステーション", "Helper Station", "訪問介護", 0),
    ("グループホーム", "グループホーム", "Group Home", "認知症対応型共同生活介護", 18),
    (
        "居宅介護支援事業所",
        "キョタクカイゴシエンジギョウショ",
        "Care Management Office",
        "居宅介護支援",
        0,
    ),
    ("訪問看護ステーション", "ホウモンカンゴステーション", "Home Nursing Station", "訪問看護", 0),
    (
        "小規模多機能ホーム",
        "ショウキボタキノウホーム",
        "Multifunctional Care Home",
        "小規模多機能型居宅介護",
        29,
    ),
)


def _care_rows(muni: Municipality, *, wareki_dates: bool) -> list[list[object]]:
    rng = rng_for(f"{muni.code}_care_service")
    rows: list[list[object]] = []
    index = 0
    for area in muni.areas:
        for service in rng.sample(_CARE_SERVICES, rng.randint(2, 4)):
            index += 1
            site = Site(rng, area, "park")
            word, kana, roman = rng.choice(_NATURE)
            designated = date(rng.randint(2000, 2024), rng.randint(1, 12), 1)
            rows.append(
                [
                    muni.code,
                    index,
                    muni.name,
                    f"{service[0]}{word}",
                    f"{service[1]}{kana}",
                    f"{service[2]} {roman}",
                    f"35{rng.randint(70, 79)}{rng.randint(100000, 999999)}",
                    service[3],
                    *location_values(muni, site),
                    phone(rng, muni),
                    phone(rng, muni),
                    "",
                    f"社会福祉法人{word}会" if rng.random() < 0.5 else f"株式会社{roman}ケア",
                    "月,火,水,木,金,土",
                    "08:30",
                    "17:30",
                    "日曜・年末年始休業",
                    service[4] or "",
                    wareki(designated) if wareki_dates else designated.isoformat(),
                    "",
                    "",
                ]
            )
    return rows


def care_service(slug: str, *, encoding: str = "utf-8-sig") -> bytes:
    """介護サービス事業所 (10) as CSV with 和暦 指定年月日 (as exported from 介護保険 systems)."""
    muni = BY_SLUG[slug]
    return csv_bytes(CARE_HEADER, _care_rows(muni, wareki_dates=True), encoding=encoding)


def care_service_xlsx(slug: str) -> bytes:
    """介護サービス事業所 as a workbook with a title row above the header."""
    muni = BY_SLUG[slug]
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "介護サービス事業所"
    write_table(
        sheet,
        CARE_HEADER,
        _care_rows(muni, wareki_dates=False),
        title=f"{muni.name} 介護サービス事業所一覧（{wareki(date(2025, 4, 1))}現在）",
    )
    return workbook_bytes(workbook)
