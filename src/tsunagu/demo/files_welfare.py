"""Generators for child care, medical and long-term care lists (自治体標準オープンデータセット).

Names of private facilities are invented from place and nature words, never from people's
names, so nothing here can be mistaken for personal data.
"""

from __future__ import annotations

import random
from datetime import date

from tsunagu.demo.common import (
    CONTACT_COLUMNS,
    HEIGHT_COLUMNS,
    IMAGE_COLUMNS,
    KINDS,
    LOCATION_COLUMNS,
    MISSING,
    Site,
    corporate_number,
    csv_bytes,
    location_record,
    new_workbook,
    phone,
    project,
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

_NAME_COLUMNS = ["名称", "名称_カナ", "名称_英字"]
_OWNER_COLUMNS = ["全国地方公共団体コード", "ID", "地方公共団体名"]
_HOURS = ["利用可能曜日", "開始時間", "終了時間", "利用可能日時特記事項"]

CHILD_CARE_HEADER = [
    *_OWNER_COLUMNS,
    *_NAME_COLUMNS,
    "種別",
    *LOCATION_COLUMNS,
    *HEIGHT_COLUMNS,
    "アクセス方法",
    "駐車場情報",
    "電話番号",
    "内線番号",
    "FAX番号",
    *CONTACT_COLUMNS[2:],
    "法人番号",
    "団体名",
    "許可等年月日",
    "収容定員",
    "受入年齢",
    *_HOURS,
    "一時預かりの有無",
    "子供預かり料金種別",
    "子供預かり料金",
    "子供預かり料金備考",
    "子供預かり開所時間",
    "子供預かり閉所時間",
    "病児保育の有無",
    "授乳室",
    "おむつ替えコーナー",
    "飲食可否",
    "ベビーカー貸出",
    "ベビーカー利用",
    "URL",
    *IMAGE_COLUMNS,
    "備考",
]

# A list kept by hand before the standard: 種別 first, 定員, and far fewer columns.
CHILD_CARE_OLD_HEADER = [
    *_OWNER_COLUMNS,
    "種別",
    *_NAME_COLUMNS,
    *LOCATION_COLUMNS,
    "電話番号",
    "内線番号",
    "FAX番号",
    "法人番号",
    "団体名",
    *_HOURS,
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
# Facilities parents visit with babies: they state 授乳室, おむつ替え and ベビーカー.
_BABY_FRIENDLY = ("nursery", "jidokan", "kosodate")


def _child_care_details(
    rng: random.Random, kind: str, temporary: bool, public: bool
) -> dict[str, object]:
    """The standard's columns the older lists lack: access, parking, fees, baby facilities."""
    details: dict[str, object] = {
        "アクセス方法": f"最寄りのバス停から徒歩約{rng.randint(2, 12)}分",
        "駐車場情報": f"あり（{rng.randrange(3, 20)}台）" if rng.random() < 0.8 else "なし",
        "病児保育の有無": "有" if kind == "nursery" and rng.random() < 0.15 else "無",
    }
    if temporary:
        details |= {
            "子供預かり料金種別": "一時預かり",
            "子供預かり料金": "2000" if public else "2500",
            "子供預かり料金備考": "1日あたりの料金（給食費を含む）。半日は半額",
            "子供預かり開所時間": "08:30",
            "子供預かり閉所時間": "17:00",
        }
    if kind in _BABY_FRIENDLY:
        details |= {
            "授乳室": "あり",
            "おむつ替えコーナー": "あり",
            "飲食可否": "指定の場所で可" if kind != "nursery" else "",
            "ベビーカー貸出": "なし",
            "ベビーカー利用": "可",
        }
    return details


def child_care_facility(slug: str, *, encoding: str = "utf-8-sig", messy: bool = False) -> bytes:
    """子育て施設 (05). messy: the older hand-kept layout, 開設日 as R5.4.1 in 備考 and '－'
    for unknown capacity."""
    muni = BY_SLUG[slug]
    rng = rng_for(f"{muni.code}_child_care_facility")
    extra_rng = rng_for(f"{muni.code}_child_care_facility_details")  # keeps rng's values stable
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
        public = operator == muni.name
        capacity: object = rng.randrange(20, 150, 5) if site.kind != "jidokan" else ""
        opened = date(rng.randint(1975, 2024), 4, 1)
        record: dict[str, object] = {
            "全国地方公共団体コード": muni.code,
            "ID": index,
            "地方公共団体名": muni.name,
            "名称": name,
            "名称_カナ": kana,
            "名称_英字": en,
            "種別": kind,
            **location_record(muni, site),
            "電話番号": phone(rng, muni),
            "FAX番号": phone(rng, muni),
            "団体名": operator,
            "利用可能曜日": days,
            "開始時間": start,
            "終了時間": end,
            "利用可能日時特記事項": "祝日・年末年始を除く",
            "受入年齢": ages,
            "一時預かりの有無": "有" if site.kind == "nursery" and rng.random() < 0.5 else "無",
        }
        if messy:
            record["定員"] = capacity or MISSING
            record["備考"] = f"{wareki(opened, 'short')}開設"
            rows.append(project(CHILD_CARE_OLD_HEADER, record))
            continue
        record |= {
            "郵便番号": site.area.zip,
            "法人番号": corporate_number(muni.code) if public else "",
            "許可等年月日": opened.isoformat(),
            "収容定員": capacity,
            **_child_care_details(extra_rng, site.kind, record["一時預かりの有無"] == "有", public),
        }
        rows.append(project(CHILD_CARE_HEADER, record))
    header = CHILD_CARE_OLD_HEADER if messy else CHILD_CARE_HEADER
    return csv_bytes(header, rows, encoding=encoding)


MEDICAL_HEADER = [
    *_OWNER_COLUMNS,
    *_NAME_COLUMNS,
    "医療機関の種類",
    *LOCATION_COLUMNS,
    *CONTACT_COLUMNS,
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
    *IMAGE_COLUMNS,
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


def _medical_rows(muni: Municipality, *, no_beds: object) -> list[list[object]]:
    """Rows of MEDICAL_HEADER; `no_beds` is what a clinic without beds shows (0, or －)."""
    rng = rng_for(f"{muni.code}_medical_institution")
    rows: list[list[object]] = []
    index = 0
    for area in muni.areas:
        for dept in rng.sample(_DEPARTMENTS, rng.randint(2, 4)):
            index += 1
            site = Site(rng, area, "park")
            word, kana, roman = rng.choice(_NATURE)
            beds = rng.choice([0, 0, 0, 19])  # a few 有床診療所
            record: dict[str, object] = {
                "全国地方公共団体コード": muni.code,
                "ID": index,
                "地方公共団体名": muni.name,
                "名称": f"{word}{dept[0]}",
                "名称_カナ": f"{kana}{dept[1]}",
                "名称_英字": f"{roman} {dept[2]}",
                "医療機関の種類": dept[3],
                **location_record(muni, site),
                "電話番号": phone(rng, muni),
                "郵便番号": area.zip,
                "医療機関コード": (
                    f"35{3 if dept[3] == '歯科診療所' else 1}{rng.randint(0, 9999999):07d}"
                ),
                "診療曜日": "月,火,水,金,土",
                "診療開始時間": "09:00",
                "診療終了時間": "18:00",
                "診療日時特記事項": "木曜・土曜午後・日曜・祝日休診",
                "時間外における対応": "" if rng.random() < 0.7 else "休日当番医（輪番）",
                "病床数": beds or no_beds,
                "診療科目": dept[4],
            }
            rows.append(project(MEDICAL_HEADER, record))
    # Each city has one public hospital (fictional name built from the city).
    index += 1
    hospital = Site(rng, muni.areas[0], "park")
    record = {
        "全国地方公共団体コード": muni.code,
        "ID": index,
        "地方公共団体名": muni.name,
        "名称": f"{muni.name[:-1]}市民病院",
        "名称_カナ": f"{muni.kana[:-1]}シミンビョウイン",
        "名称_英字": f"{muni.roman} Municipal Hospital",
        "医療機関の種類": "病院",
        **location_record(muni, hospital),
        "電話番号": phone(rng, muni),
        "郵便番号": muni.areas[0].zip,
        "法人番号": corporate_number(muni.code),
        "法人の名称": muni.name,
        "医療機関コード": f"351{rng.randint(0, 9999999):07d}",
        "診療曜日": "月,火,水,木,金",
        "診療開始時間": "08:30",
        "診療終了時間": "17:15",
        "診療日時特記事項": "土日祝日は救急外来のみ",
        "時間外における対応": "24時間救急対応",
        "病床数": rng.randrange(150, 450, 10),
        "診療科目": "内科;外科;小児科;産婦人科;整形外科;脳神経外科;救急科",
    }
    rows.append(project(MEDICAL_HEADER, record))
    return rows


def medical_institution(slug: str, *, encoding: str = "utf-8-sig", messy: bool = False) -> bytes:
    """医療機関 (10) as CSV. messy: － in 病床数 for clinics without beds."""
    muni = BY_SLUG[slug]
    rows = _medical_rows(muni, no_beds=MISSING if messy else 0)
    return csv_bytes(MEDICAL_HEADER, rows, encoding=encoding)


def medical_institution_xlsx(slug: str) -> bytes:
    """医療機関 (10) as a plain one-sheet workbook with the header in row 1."""
    muni = BY_SLUG[slug]
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "医療機関一覧"
    write_table(sheet, MEDICAL_HEADER, _medical_rows(muni, no_beds=0))
    sheet.freeze_panes = "A2"
    return workbook_bytes(workbook)


CARE_HEADER = [
    *_OWNER_COLUMNS,
    *_NAME_COLUMNS,
    "事業所番号",
    "実施サービス",
    *LOCATION_COLUMNS,
    "電話番号",
    "内線番号",
    "FAX番号",
    *CONTACT_COLUMNS[2:],
    "法人番号",
    "法人の名称",
    *_HOURS,
    "定員",
    "URL",
    *IMAGE_COLUMNS,
    "備考",
]

# What a 介護保険 system exports: no 連絡先 or 画像 columns, and its own 指定年月日 in 和暦.
CARE_EXPORT_HEADER = [
    *_OWNER_COLUMNS,
    *_NAME_COLUMNS,
    "事業所番号",
    "実施サービス",
    *LOCATION_COLUMNS,
    "電話番号",
    "FAX番号",
    "法人番号",
    "法人の名称",
    *_HOURS,
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


def _care_rows(muni: Municipality, *, export: bool) -> list[list[object]]:
    """Rows of CARE_HEADER, or of CARE_EXPORT_HEADER (with 和暦 指定年月日) when `export`."""
    rng = rng_for(f"{muni.code}_care_service")
    rows: list[list[object]] = []
    index = 0
    for area in muni.areas:
        for service in rng.sample(_CARE_SERVICES, rng.randint(2, 4)):
            index += 1
            site = Site(rng, area, "park")
            word, kana, roman = rng.choice(_NATURE)
            designated = date(rng.randint(2000, 2024), rng.randint(1, 12), 1)
            record: dict[str, object] = {
                "全国地方公共団体コード": muni.code,
                "ID": index,
                "地方公共団体名": muni.name,
                "名称": f"{service[0]}{word}",
                "名称_カナ": f"{service[1]}{kana}",
                "名称_英字": f"{service[2]} {roman}",
                "事業所番号": f"35{rng.randint(70, 79)}{rng.randint(100000, 999999)}",
                "実施サービス": service[3],
                **location_record(muni, site),
                "電話番号": phone(rng, muni),
                "FAX番号": phone(rng, muni),
                "法人の名称": (
                    f"社会福祉法人{word}会" if rng.random() < 0.5 else f"株式会社{roman}ケア"
                ),
                "利用可能曜日": "月,火,水,木,金,土",
                "開始時間": "08:30",
                "終了時間": "17:30",
                "利用可能日時特記事項": "日曜・年末年始休業",
                "定員": service[4] or "",
            }
            if export:
                record["指定年月日"] = wareki(designated)
                rows.append(project(CARE_EXPORT_HEADER, record))
            else:
                record["郵便番号"] = area.zip
                record["備考"] = f"指定日 {designated.isoformat()}"
                rows.append(project(CARE_HEADER, record))
    return rows


def care_service(slug: str, *, encoding: str = "utf-8-sig", messy: bool = False) -> bytes:
    """介護サービス事業所 (09) as CSV. messy: as exported from a 介護保険 system, with its own
    指定年月日 column in 和暦 and without the 連絡先 and 画像 columns."""
    muni = BY_SLUG[slug]
    header = CARE_EXPORT_HEADER if messy else CARE_HEADER
    return csv_bytes(header, _care_rows(muni, export=messy), encoding=encoding)


def care_service_xlsx(slug: str) -> bytes:
    """介護サービス事業所 (09) as a workbook with a title row above the standard header."""
    muni = BY_SLUG[slug]
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "介護サービス事業所"
    write_table(
        sheet,
        CARE_HEADER,
        _care_rows(muni, export=False),
        title=f"{muni.name} 介護サービス事業所一覧（{wareki(date(2025, 4, 1))}現在）",
    )
    return workbook_bytes(workbook)
