"""Generators for disaster-prevention lists (標準オープンデータセット): 避難場所, AED, 消防水利.

Each function takes a municipality slug plus style switches and returns the file bytes. The
"messy" switches reproduce what real municipal files do: Shift_JIS, "1,200" in numeric columns,
full-width digits in addresses, "－" for missing values and 和暦 dates in free text.
"""

from __future__ import annotations

from datetime import date

from tsunagu.demo.common import (
    LOCATION_COLUMNS,
    MISSING,
    Site,
    csv_bytes,
    json_bytes,
    location_values,
    phone,
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
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英字",
    *LOCATION_COLUMNS,
    "標高",
    "電話番号",
    "内線番号",
    "連絡先メールアドレス",
    "連絡先FormURL",
    "連絡先備考（その他、SNSなど）",
    "郵便番号",
    *HAZARDS,
    "指定避難所との重複",
    "想定収容人数",
    "対象となる町会・自治会",
    "URL",
    "画像",
    "画像_ライセンス",
    "備考",
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
    """指定緊急避難場所 (03). messy: thousands separators, full-width house numbers, 和暦."""
    muni = BY_SLUG[slug]
    rows = []
    for index, (site, flags, shelter, capacity, tel) in enumerate(_evacuation_sites(muni), 1):
        location = location_values(muni, site)
        if messy:
            location[2] = zenkaku(location[2])  # 所在地_連結表記 typed with full-width digits
        note = ""
        if site.kind == "park":
            note = "屋外のため雨天時は近隣の指定避難所へ"
        elif messy and index % 7 == 0:
            note = f"{wareki(date(2023, 4, 1), 'short')}指定"
        rows.append(
            [
                muni.code,
                f"{muni.code}{index:04d}" if not messy else index,
                muni.name,
                site.name,
                site.kana,
                site.en,
                *location,
                "" if not messy else MISSING,
                tel or (MISSING if messy else ""),
                "",
                "",
                "",
                "",
                site.area.zip,
                *flags,
                "1" if shelter else "",
                thousands(capacity) if messy else capacity,
                f"{site.area.label}地区自治会連合会",
                "",
                "",
                "",
                note,
            ]
        )
    return csv_bytes(EVACUATION_HEADER, rows, encoding=encoding)


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
    "設置位置",
    "電話番号",
    "内線番号",
    "法人番号",
    "団体名",
    "利用可能曜日",
    "開始時間",
    "終了時間",
    "利用可能日時特記事項",
    "小児対応設備の有無",
    "URL",
    "備考",
]

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
    """AED設置箇所 (01). messy: 曜日 written as 月～金, times as 8時30分, 和暦 in 備考."""
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
        note = f"{wareki(installed)}設置" if messy else f"設置日 {installed.isoformat()}"
        rows.append(
            [
                muni.code,
                index,
                muni.name,
                site.name,
                site.kana,
                site.en,
                *location_values(muni, site),
                position,
                phone(rng, muni),
                "",
                "",
                muni.name,
                days,
                start,
                end,
                remark,
                "有" if rng.random() < 0.6 else "無",
                "",
                note,
            ]
        )
    return csv_bytes(AED_HEADER, rows, encoding=encoding)


HYDRANT_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "消防水利の種類",
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


def fire_hydrant(slug: str, *, encoding: str = "utf-8-sig") -> bytes:
    """消防水利施設 (hydrants and cisterns, 100+ rows; good for map clustering)."""
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
            rows.append(
                [
                    muni.code,
                    f"W{index:05d}",
                    muni.name,
                    "消火栓" if hydrant else "防火水槽",
                    location_values(muni, site)[2],
                    area.town,
                    site.number,
                    site.lat,
                    site.lon,
                    rng.choice(["地下式", "地下式", "地上式"]) if hydrant else "有蓋",
                    rng.choice([75, 100, 150]) if hydrant else "",
                    "" if hydrant else rng.choice([20, 40, 40, 60, 100]),
                    year,
                    "" if rng.random() < 0.9 else "使用不可（修繕予定）",
                ]
            )
    return csv_bytes(HYDRANT_HEADER, rows, encoding=encoding)
