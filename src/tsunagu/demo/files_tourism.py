"""Generators for 観光施設, イベント and 文化財 lists (自治体標準オープンデータセット)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from tsunagu.demo.common import (
    IMAGE_COLUMNS,
    LOCATION_COLUMNS,
    PREF_NAME,
    Site,
    csv_bytes,
    json_bytes,
    location_record,
    location_values,
    new_workbook,
    phone,
    project,
    rng_for,
    wareki,
    workbook_bytes,
    write_table,
)
from tsunagu.demo.places import BY_SLUG, MUNICIPALITIES, PREF_CODE, Area, Municipality
from tsunagu.demo.spots import FESTIVALS, GENERIC_PROPERTIES, PROPERTIES, SPOTS

YEAR = 2025


def nearest_area(muni: Municipality, lat: float, lon: float) -> Area:
    return min(muni.areas, key=lambda a: (a.lat - lat) ** 2 + (a.lon - lon) ** 2)


def _site_at(rng: random.Random, muni: Municipality, lat: float, lon: float) -> Site:
    """A Site for a real spot: the nearest district for the address, the spot's own point."""
    site = Site(rng, nearest_area(muni, lat, lon), "park")
    site.lat, site.lon = lat, lon
    return site


TOURISM_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英字",
    "POIコード",
    *LOCATION_COLUMNS,
    "利用可能曜日",
    "開始時間",
    "終了時間",
    "利用可能日時特記事項",
    "料金（基本）",
    "料金（詳細）",
    "説明",
    "説明_英字",
    "アクセス方法",
    "駐車場情報",
    "バリアフリー情報",
    "連絡先名称",
    "連絡先電話番号",
    "連絡先内線番号",
    "画像",
    "画像_ライセンス",
    "URL",
    "備考",
]


def tourism(slug: str, *, encoding: str = "utf-8-sig") -> bytes:
    """観光施設 (11)."""
    muni = BY_SLUG[slug]
    rng = rng_for(f"{muni.code}_tourism")
    rows = []
    for index, (name, kana, en, lat, lon, text, fee) in enumerate(SPOTS[slug], 1):
        site = _site_at(rng, muni, lat, lon)
        paid = fee == "有料"
        rows.append(
            [
                muni.code,
                index,
                muni.name,
                name,
                kana,
                en,
                "",
                *location_values(muni, site),
                "月,火,水,木,金,土,日",
                "09:00" if paid else "",
                "17:00" if paid else "",
                "年末年始は休業" if paid else "見学自由",
                fee,
                f"大人{rng.randrange(200, 2200, 10):,}円、小中学生半額" if paid else "",
                text,
                "",
                f"最寄りのバス停から徒歩約{rng.randint(2, 15)}分",
                f"普通車{rng.randrange(20, 300, 10)}台" if rng.random() < 0.8 else "なし",
                rng.choice(["車椅子での見学可（一部除く）", "多目的トイレあり", ""]),
                f"{muni.name}観光協会",
                phone(rng, muni),
                "",
                "",
                "",
                "",
                "",
            ]
        )
    return csv_bytes(TOURISM_HEADER, rows, encoding=encoding)


_EVENT_HEAD = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "イベント名",
    "イベント名_カナ",
    "イベント名_英字",
    "開始日",
    "終了日",
    "開始時間",
    "終了時間",
    "開始日時特記事項",
    "説明",
    "料金（基本）",
    "料金（詳細）",
    "連絡先名称",
    "連絡先電話番号",
    "連絡先内線番号",
    "主催者",
    "場所名称",
]
_EVENT_TAIL = [
    "アクセス方法",
    "駐車場情報",
    "定員",
    "参加申込終了日",
    "参加申込終了時間",
    "参加申込方法",
    "URL",
]

EVENT_HEADER = [*_EVENT_HEAD, *LOCATION_COLUMNS, *_EVENT_TAIL, *IMAGE_COLUMNS, "備考"]

# The earlier, shorter layout: the address in one column and no image columns.
EVENT_OLD_HEADER = [*_EVENT_HEAD, "所在地_連結表記", "緯度", "経度", *_EVENT_TAIL, "備考"]

# Small recurring municipal events, placed in a district's community hall.
COMMUNITY_EVENTS = (
    ("防災講演会", "ボウサイコウエンカイ", "Disaster Preparedness Lecture", "避難所運営の体験つき"),
    ("親子ふれあい教室", "オヤコフレアイキョウシツ", "Parent and Child Class", "0～3歳の親子向け"),
    ("健康ウォーキング", "ケンコウウォーキング", "Health Walking", "約5kmのコースを歩きます"),
    ("おはなし会", "オハナシカイ", "Storytelling for Children", "絵本の読み聞かせ"),
    (
        "シニア向けスマホ教室",
        "シニアムケスマホキョウシツ",
        "Smartphone Class for Seniors",
        "初心者向け",
    ),
    ("リサイクルフェア", "リサイクルフェア", "Recycling Fair", "家具・自転車の再生品を展示"),
    ("郷土の歴史講座", "キョウドノレキシコウザ", "Local History Lecture", "全3回の連続講座"),
)


@dataclass(frozen=True)
class _Event:
    name: str
    kana: str
    en: str
    first: date
    last: date
    start: str
    end: str
    text: str
    fee: str
    place: str
    site: Site
    capacity: int | None = None  # None for the big festivals (no registration)
    apply_by: date | None = None


def _event_records(muni: Municipality) -> list[_Event]:
    rng = rng_for(f"{muni.code}_event")
    records: list[_Event] = []
    for name, kana, en, month, day, days, start, end, place, lat, lon, text in FESTIVALS.get(
        muni.slug, ()
    ):
        first = date(YEAR, month, day)
        last = first + timedelta(days=days - 1)
        site = _site_at(rng, muni, lat, lon)
        records.append(
            _Event(name, kana, en, first, last, start, end, text, "無料（一部有料）", place, site)
        )
    for area in muni.areas:
        for base, kana, en, text in rng.sample(COMMUNITY_EVENTS, 2):
            first = date(YEAR, rng.randint(4, 12), rng.randint(1, 28))
            site = Site(rng, area, "kominkan")
            hour = rng.choice([10, 13, 14, 18])
            records.append(
                _Event(
                    f"{area.label}地区{base}",
                    f"{area.kana}チク{kana}",
                    f"{area.roman} {en}",
                    first,
                    first,
                    f"{hour:02d}:00",
                    f"{hour + 2:02d}:00",
                    text,
                    "無料",
                    site.name,
                    site,
                    capacity=rng.randrange(20, 120, 10),
                    apply_by=first - timedelta(days=7),
                )
            )
    records.sort(key=lambda r: (r.first, r.name))
    return records


def _event_record(muni: Municipality, index: int, ev: _Event, *, messy: bool) -> dict[str, object]:
    def day(d: date | None) -> str:
        if d is None:
            return ""
        return wareki(d) if messy else d.isoformat()

    def clock(t: str) -> str:
        return f"{int(t[:2])}時{t[3:]}分" if messy else t

    festival = ev.capacity is None
    capacity: object = ""
    if ev.capacity is not None:
        capacity = f"{ev.capacity}名" if messy else ev.capacity
    return {
        "全国地方公共団体コード": muni.code,
        "ID": index,
        "地方公共団体名": muni.name,
        "イベント名": ev.name,
        "イベント名_カナ": ev.kana,
        "イベント名_英字": ev.en,
        "開始日": day(ev.first),
        "終了日": day(ev.last),
        "開始時間": clock(ev.start),
        "終了時間": clock(ev.end),
        "開始日時特記事項": "雨天決行（荒天時中止）" if festival else "",
        "説明": ev.text,
        "料金（基本）": ev.fee,
        "連絡先名称": f"{muni.name}{'観光振興課' if festival else '地域振興課'}",
        "連絡先電話番号": phone(rng_for(f"{muni.code}_{ev.name}"), muni),
        "主催者": f"{ev.name}実行委員会" if festival else muni.name,
        "場所名称": ev.place,
        **location_record(muni, ev.site),
        "アクセス方法": "公共交通機関をご利用ください",
        "駐車場情報": "臨時駐車場あり" if festival else "あり",
        "定員": capacity,
        "参加申込終了日": day(ev.apply_by),
        "参加申込終了時間": clock("17:00") if ev.apply_by else "",
        "参加申込方法": "電話または申込フォーム" if ev.apply_by else "",
    }


def event(slug: str, *, encoding: str = "utf-8-sig", messy: bool = False) -> bytes:
    """イベント (12). messy: the older layout, 和暦 dates (令和7年8月13日), 19時50分 times and
    定員 as 100名."""
    muni = BY_SLUG[slug]
    header = EVENT_OLD_HEADER if messy else EVENT_HEADER
    rows = [
        project(header, _event_record(muni, i, record, messy=messy), allowed=EVENT_HEADER)
        for i, record in enumerate(_event_records(muni), 1)
    ]
    return csv_bytes(header, rows, encoding=encoding)


def event_json(slug: str) -> bytes:
    """The same events as JSON records keyed by the standard column names."""
    muni = BY_SLUG[slug]
    items = [
        dict(zip(EVENT_HEADER, project(EVENT_HEADER, record), strict=True))
        for record in (
            _event_record(muni, i, ev, messy=False) for i, ev in enumerate(_event_records(muni), 1)
        )
    ]
    return json_bytes(
        {
            "全国地方公共団体コード": muni.code,
            "地方公共団体名": muni.name,
            "更新日": f"{YEAR}-04-01",
            "件数": len(items),
            "イベント": items,
        }
    )


CULTURAL_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英字",
    "文化財分類",
    "種類",
    "場所名称",
    *LOCATION_COLUMNS,
    "員数",
    "員数（単位）",
    "所有者等",
    "時代",
    "概要",
    "説明",
    "URL",
    *IMAGE_COLUMNS,
    "備考",
]

# The 教育委員会's register: its own 指定区分 and 指定年月日 columns, the address in one column.
CULTURAL_REGISTER_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英字",
    "指定区分",
    "文化財分類",
    "種類",
    "時代",
    "場所名称",
    "所在地_連結表記",
    "緯度",
    "経度",
    "員数",
    "指定年月日",
    "概要",
    "URL",
    *IMAGE_COLUMNS,
    "備考",
]

_UNITS = {"建造物": "棟", "彫刻": "躯"}


def _classification(designation: str, category: str) -> str:
    """文化財分類: 国宝 and 重要… already say who designated them; others get 市指定… etc."""
    return category if category.startswith(("国宝", "重要")) else f"{designation}指定{category}"


def _generic_properties(
    rng: random.Random, muni: Municipality, per_area: int, designation: str
) -> list[tuple]:
    found = []
    for area in muni.areas:
        for suffix, kana, en, category, kind, era in rng.sample(GENERIC_PROPERTIES, per_area):
            site = Site(rng, area, "park")
            designated = date(rng.randint(1955, 2022), rng.randint(1, 12), rng.randint(1, 28))
            found.append(
                (
                    f"{area.label}{suffix}",
                    f"{area.kana}{kana}",
                    f"{area.roman} {en}",
                    designation,
                    category,
                    kind,
                    era,
                    area.label,
                    site.lat,
                    site.lon,
                    designated.isoformat(),
                )
            )
    return found


def _cultural_rows(slug: str, *, register: bool) -> list[list[object]]:
    """Rows of CULTURAL_HEADER, or of CULTURAL_REGISTER_HEADER (和暦 指定年月日) if `register`."""
    muni = BY_SLUG[slug]
    rng = rng_for(f"{muni.code}_cultural_property")
    properties = list(PROPERTIES.get(slug, ())) + _generic_properties(rng, muni, 1, "市")
    rows: list[list[object]] = []
    for index, prop in enumerate(properties, 1):
        name, kana, en, designation, category, kind, era, place, lat, lon, designated = prop
        site = _site_at(rng, muni, lat, lon)
        record: dict[str, object] = {
            "全国地方公共団体コード": muni.code,
            "ID": index,
            "地方公共団体名": muni.name,
            "名称": name,
            "名称_カナ": kana,
            "名称_英字": en,
            "種類": kind,
            "場所名称": place,
            **location_record(muni, site),
            "員数": 1 if kind in _UNITS else "",
            "時代": era,
            "概要": f"{place}に所在する{category}",
        }
        if register:
            record |= {
                "指定区分": f"{designation}指定",
                "文化財分類": category,
                "指定年月日": wareki(date.fromisoformat(designated)),
            }
            rows.append(project(CULTURAL_REGISTER_HEADER, record, allowed=CULTURAL_HEADER))
            continue
        record |= {
            "文化財分類": _classification(designation, category),
            "員数（単位）": _UNITS.get(kind, ""),
            "備考": f"指定日 {designated}",
        }
        rows.append(project(CULTURAL_HEADER, record))
    return rows


def cultural_property(slug: str, *, encoding: str = "utf-8-sig", messy: bool = False) -> bytes:
    """文化財 (02). messy: the 教育委員会's register layout with 指定年月日 in 和暦
    (平成31年4月30日, as most registers keep them)."""
    header = CULTURAL_REGISTER_HEADER if messy else CULTURAL_HEADER
    return csv_bytes(header, _cultural_rows(slug, register=messy), encoding=encoding)


def cultural_property_xlsx(slug: str) -> bytes:
    """文化財 as a workbook: title row, the register's header, and a 出典 note under the table."""
    muni = BY_SLUG[slug]
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "文化財一覧"
    write_table(
        sheet,
        CULTURAL_REGISTER_HEADER,
        _cultural_rows(slug, register=True),
        title=f"{muni.name}内の指定文化財一覧",
        note=f"※出典：{muni.name}教育委員会 文化財保護課調べ（令和7年4月1日現在）",
    )
    return workbook_bytes(workbook)


def prefectural_cultural_property(*, encoding: str = "utf-8-sig") -> bytes:
    """県指定文化財 across all cities."""
    rng = rng_for(f"{PREF_CODE}_cultural_property")
    rows = []
    index = 0
    for muni in MUNICIPALITIES:
        for prop in _generic_properties(rng, muni, 1, "県")[:3]:
            index += 1
            name, kana, en, _d, category, kind, era, place, lat, lon, designated = prop
            town = nearest_area(muni, lat, lon).town
            record: dict[str, object] = {
                "全国地方公共団体コード": PREF_CODE,
                "ID": f"K{index:04d}",
                "地方公共団体名": PREF_NAME,
                "名称": name,
                "名称_カナ": kana,
                "名称_英字": en,
                "文化財分類": _classification("県", category),
                "種類": kind,
                "場所名称": f"{muni.name}{place}",
                "所在地_全国地方公共団体コード": muni.code,
                "所在地_連結表記": f"{PREF_NAME}{muni.name}{town}",
                "所在地_都道府県": PREF_NAME,
                "所在地_市区町村": muni.name,
                "所在地_町字": town,
                "緯度": lat,
                "経度": lon,
                "員数": 1 if kind in _UNITS else "",
                "員数（単位）": _UNITS.get(kind, ""),
                "時代": era,
                "概要": f"{muni.name}{place}地区に伝わる{category}",
                "備考": f"指定日 {designated}",
            }
            rows.append(project(CULTURAL_HEADER, record))
    return csv_bytes(CULTURAL_HEADER, rows, encoding=encoding)


def prefectural_event(*, encoding: str = "utf-8-sig") -> bytes:
    """Festivals of several cities re-published by the prefecture's tourism department."""
    rows = []
    index = 0
    for slug in FESTIVALS:
        muni = BY_SLUG[slug]
        for ev in _event_records(muni):
            if ev.capacity is not None:
                continue  # the prefecture only lists the big festivals
            index += 1
            record = _event_record(muni, index, ev, messy=False)
            record |= {"全国地方公共団体コード": PREF_CODE, "地方公共団体名": PREF_NAME}
            rows.append(project(EVENT_HEADER, record))
    return csv_bytes(EVENT_HEADER, rows, encoding=encoding)
