"""Generators for disaster-prevention lists (標準オープンデータセット): 避難場所, AED, 消防水利.

Each function takes a municipality slug plus style switches and returns the file bytes. The
"messy" switches reproduce what real municipal files do: Shift_JIS, "1,200" in numeric columns,
full-width digits in addresses, "－" for missing values and 和暦 dates in free text.
"""

from __future__ import annotations

from datetime import date

from tsunagu.demo.common import (
    CONTACT_COLUMNS,
    HEIGHT_COLUMNS,
    IMAGE_COLUMNS,
    LOCATION_COLUMNS,
    MISSING,
    Site,
    corporate_number,
    csv_bytes,
    fiscal_wareki,
    json_bytes,
    location_record,
    location_values,
    phone,
    project,
    rng_for,
    sites,
    thousands,
    wareki,
    zenkaku,
)
from tsunagu.demo.places import BY_SLUG, Municipality

HAZARDS = [
    "災害種別_洪水",
    "災害種別_崖崩れ、土石流及び地滑り",
    "災害種別_高潮",
    "災害種別_地震",
    "災害種別_津波",
    "災害種別_大規模な火事",
    "災害種別_内水氾濫",
    "災害種別_火山現象",
]

EVACUATION_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "名称",
    "名称_カナ",
    "名称_英字",
    *LOCATION_COLUMNS,
    "標高",
    *CONTACT_COLUMNS,
    "市区町村コード",
    "地方公共団体名",
    *HAZARDS,
    "指定避難所との重複",
    "想定収容人数",
    "対象となる町会・自治会",
    "URL",
    *IMAGE_COLUMNS,
    "備考",
]

# The older layout kept by messy exports: 地方公共団体名 third and no 市区町村コード.
EVACUATION_OLD_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    *[c for c in EVACUATION_HEADER[2:] if c not in ("市区町村コード", "地方公共団体名")],
]


def _evacuation_sites(muni: Municipality) -> list[tuple[Site, list[str], bool, int, str]]:
    """(site, hazard flags, also a shelter, capacity, phone) for the whole municipality."""
    rng = rng_for(f"{muni.code}_evacuation_space")
    result = []
    for site in sites(rng, muni, ("es", "jhs", "center", "park"), share=0.8):
        building = site.kind in ("es", "jhs", "center")
        coastal = site.lat < muni.lat + 0.01 and rng.random() < 0.5
        flags = [
            "1" if building and rng.random() < 0.7 else "",  # 洪水: upper floors only
            "1" if rng.random() < 0.6 else "",
            "1" if building and coastal else "",
            "1",  # every designated space takes 地震
            "1" if building and coastal and rng.random() < 0.6 else "",
            "1" if not building or rng.random() < 0.5 else "",
            "1" if building and rng.random() < 0.5 else "",
            "",  # no active volcano in the prefecture
        ]
        if site.kind == "park":
            capacity = rng.randrange(500, 4000, 50)
        elif site.kind == "center":
            capacity = rng.randrange(40, 300, 10)
        else:
            capacity = rng.randrange(200, 1500, 10)
        tel = phone(rng, muni) if building else ""
        result.append((site, flags, building, capacity, tel))
    return result


def evacuation_space(slug: str, *, encoding: str = "utf-8-sig", messy: bool = False) -> bytes:
    """指定緊急避難場所 (03). messy: the older column layout, thousands separators, full-width
    house numbers, － for missing values and 和暦 in 備考."""
    muni = BY_SLUG[slug]
    rows = []
    for index, (site, flags, shelter, capacity, tel) in enumerate(_evacuation_sites(muni), 1):
        location = location_record(muni, site)
        if messy:
            location["所在地_連結表記"] = zenkaku(location["所在地_連結表記"])
        note = ""
        if site.kind == "park":
            note = "屋外のため雨天時は近隣の指定避難所へ"
        elif messy and index % 7 == 0:
            note = f"{wareki(date(2023, 4, 1), 'short')}指定"
        record: dict[str, object] = {
            "全国地方公共団体コード": muni.code,
            "ID": f"{muni.code}{index:04d}" if not messy else index,
            "名称": site.name,
            "名称_カナ": site.kana,
            "名称_英字": site.en,
            **location,
            "標高": "" if not messy else MISSING,
            "電話番号": tel or (MISSING if messy else ""),
            "郵便番号": site.area.zip,
            "市区町村コード": muni.code,
            "地方公共団体名": muni.name,
            **dict(zip(HAZARDS, flags, strict=True)),
            "指定避難所との重複": "1" if shelter else "",
            "想定収容人数": thousands(capacity) if messy else capacity,
            "対象となる町会・自治会": f"{site.area.label}地区自治会連合会",
            "備考": note,
        }
        if messy:
            rows.append(project(EVACUATION_OLD_HEADER, record, allowed=EVACUATION_HEADER))
        else:
            rows.append(project(EVACUATION_HEADER, record))
    header = EVACUATION_OLD_HEADER if messy else EVACUATION_HEADER
    return csv_bytes(header, rows, encoding=encoding)


def evacuation_space_geojson(slug: str) -> bytes:
    """The same spaces as GeoJSON points, for the map preview."""
    muni = BY_SLUG[slug]
    features = []
    for index, (site, flags, shelter, capacity, _tel) in enumerate(_evacuation_sites(muni), 1):
        properties: dict[str, object] = {
            "ID": f"{muni.code}{index:04d}",
            "名称": site.name,
            "所在地_連結表記": location_values(muni, site)[2],
        }
        properties.update(
            {name[5:]: flag == "1" for name, flag in zip(HAZARDS, flags, strict=True)}
        )
        properties["指定避難所との重複"] = shelter
        properties["想定収容人数"] = capacity
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
                "properties": properties,
            }
        )
    return json_bytes(
        {
            "type": "FeatureCollection",
            "name": f"{muni.code}_evacuation_space",
            "features": features,
        }
    )


AED_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英字",
    *LOCATION_COLUMNS,
    *HEIGHT_COLUMNS,
    "設置位置",
    *CONTACT_COLUMNS,
    "法人番号",
    "団体名",
    "利用可能曜日",
    "開始時間",
    "終了時間",
    "利用可能日時特記事項",
    "小児対応設備の有無",
    "URL",
    *IMAGE_COLUMNS,
    "備考",
]

# What an older 消防 system exports: no 高度・連絡先・画像 columns, and its own 設置年月日.
_AED_OLD_DROPPED = {*HEIGHT_COLUMNS, *CONTACT_COLUMNS[2:], *IMAGE_COLUMNS}
AED_OLD_HEADER = [c for c in AED_HEADER if c not in _AED_OLD_DROPPED]
AED_OLD_HEADER.insert(AED_OLD_HEADER.index("URL"), "設置年月日")


_AED_PLACES = {
    "es": ("職員室前廊下", "月,火,水,木,金", "08:00", "17:00", "学校休業日は利用不可"),
    "jhs": ("体育館入口", "月,火,水,木,金", "08:00", "17:00", "学校休業日は利用不可"),
    "kominkan": ("1階 事務室前", "火,水,木,金,土,日", "08:30", "22:00", "月曜日・年末年始休館"),
    "gym": ("玄関ホール", "月,火,水,木,金,土,日", "09:00", "21:30", "年末年始休館"),
    "library": (
        "1階 カウンター横",
        "火,水,木,金,土,日",
        "09:30",
        "19:00",
        "月曜日・館内整理日休館",
    ),
    "branch": ("1階 ロビー", "月,火,水,木,金", "08:30", "17:15", "土日祝日・年末年始は閉庁"),
}


def aed_location(slug: str, *, encoding: str = "utf-8-sig", messy: bool = False) -> bytes:
    """AED設置箇所 (08). messy: the older layout with a 設置年月日 column in 和暦, 曜日 written
    as 月～金 and times as 8時30分."""
    muni = BY_SLUG[slug]
    rng = rng_for(f"{muni.code}_aed_location")
    rows = []
    found = sites(rng, muni, tuple(_AED_PLACES), share=0.75)
    for index, site in enumerate(found, 1):
        position, days, start, end, remark = _AED_PLACES[site.kind]
        if messy:
            days = days.replace("月,火,水,木,金,土,日", "毎日").replace("月,火,水,木,金", "月～金")
            start = f"{int(start[:2])}時{start[3:]}分"
            end = f"{int(end[:2])}時{end[3:]}分"
        installed = date(2016 + rng.randint(0, 8), rng.randint(1, 12), rng.randint(1, 28))
        record: dict[str, object] = {
            "全国地方公共団体コード": muni.code,
            "ID": index,
            "地方公共団体名": muni.name,
            "名称": site.name,
            "名称_カナ": site.kana,
            "名称_英字": site.en,
            **location_record(muni, site),
            "設置位置": position,
            "電話番号": phone(rng, muni),
            "郵便番号": site.area.zip,
            "法人番号": corporate_number(muni.code),
            "団体名": muni.name,
            "利用可能曜日": days,
            "開始時間": start,
            "終了時間": end,
            "利用可能日時特記事項": remark,
            "小児対応設備の有無": "有" if rng.random() < 0.6 else "無",
        }
        if messy:
            record["設置年月日"] = wareki(installed)
            rows.append(project(AED_OLD_HEADER, record, allowed=AED_HEADER))
        else:
            record["備考"] = f"設置日 {installed.isoformat()}"
            rows.append(project(AED_HEADER, record))
    return csv_bytes(AED_OLD_HEADER if messy else AED_HEADER, rows, encoding=encoding)


HYDRANT_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "種別",
    *LOCATION_COLUMNS,
    "口径",
    "備考",
]

# The fire service's own register: a unit in the column name and three columns of its own.
HYDRANT_REGISTER_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "種別",
    "所在地_連結表記",
    "所在地_町字",
    "所在地_番地以下",
    "緯度",
    "経度",
    "設置形式",
    "口径（mm）",
    "容量（立方メートル）",
    "設置年度",
    "備考",
]


def fire_hydrant(slug: str, *, encoding: str = "utf-8-sig", messy: bool = False) -> bytes:
    """消防水利施設 (14; hydrants and cisterns, 100+ rows, good for map clustering).

    messy: the fire service's register layout (口径（mm）, 設置形式, 容量, 設置年度 in 和暦)."""
    muni = BY_SLUG[slug]
    rng = rng_for(f"{muni.code}_fire_hydrant")
    rows = []
    index = 0
    for area in muni.areas:
        for _ in range(rng.randint(14, 24)):
            index += 1
            site = Site(rng, area, "park")
            hydrant = rng.random() < 0.75
            year = rng.randint(1975, 2024)
            form = rng.choice(["地下式", "地下式", "地上式"]) if hydrant else "有蓋"
            bore = rng.choice([75, 100, 150]) if hydrant else ""
            volume = "" if hydrant else rng.choice([20, 40, 40, 60, 100])
            out_of_use = rng.random() >= 0.9
            common: dict[str, object] = {
                "全国地方公共団体コード": muni.code,
                "ID": f"W{index:05d}",
                "地方公共団体名": muni.name,
                "種別": "消火栓" if hydrant else "防火水槽",
                **location_record(muni, site),
            }
            if messy:
                record = {
                    **common,
                    "設置形式": form,
                    "口径（mm）": bore,
                    "容量（立方メートル）": volume,
                    "設置年度": fiscal_wareki(year),
                    "備考": "使用不可（修繕予定）" if out_of_use else "",
                }
                rows.append(project(HYDRANT_REGISTER_HEADER, record, allowed=LOCATION_COLUMNS))
                continue
            notes = [form if hydrant else f"{form}、容量{volume}立方メートル"]
            if out_of_use:
                notes.append("使用不可（修繕予定）")
            record = {**common, "口径": bore, "備考": "、".join(notes)}
            rows.append(project(HYDRANT_HEADER, record))
    header = HYDRANT_REGISTER_HEADER if messy else HYDRANT_HEADER
    return csv_bytes(header, rows, encoding=encoding)
