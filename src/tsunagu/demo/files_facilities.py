"""Generators for public facility lists (自治体標準オープンデータセット): 公共施設, トイレ, 無線LAN.

Each function takes a municipality slug plus style switches and returns the file bytes. The
"messy" switches reproduce what real municipal files do: Shift_JIS, "1,200" in numeric columns,
full-width digits in addresses, "－" for missing values and 和暦 dates in free text.
"""

from __future__ import annotations

from tsunagu.demo.common import (
    CONTACT_COLUMNS,
    HEIGHT_COLUMNS,
    IMAGE_COLUMNS,
    LOCATION_COLUMNS,
    MISSING,
    Site,
    corporate_number,
    csv_bytes,
    jitter,
    location_record,
    phone,
    project,
    rng_for,
    sites,
    zenkaku,
)
from tsunagu.demo.places import BY_SLUG

PUBLIC_FACILITY_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英字",
    "名称_通称",
    "POIコード",
    *LOCATION_COLUMNS,
    *HEIGHT_COLUMNS,
    *CONTACT_COLUMNS,
    "法人番号",
    "団体名",
    "利用可能曜日",
    "開始時間",
    "終了時間",
    "利用可能日時特記事項",
    "説明",
    "バリアフリー情報",
    "URL",
    *IMAGE_COLUMNS,
    "備考",
]

_FACILITY_INFO = {
    "kominkan": (
        "会議室・和室・調理実習室を備えた社会教育施設",
        "火,水,木,金,土,日",
        "08:30",
        "22:00",
    ),
    "center": ("地域づくり活動と生涯学習の拠点施設", "月,火,水,木,金,土", "08:30", "22:00"),
    "library": ("一般書・児童書・郷土資料を所蔵する図書館", "火,水,木,金,土,日", "09:30", "19:00"),
    "gym": ("アリーナ・トレーニング室を備えた体育施設", "月,火,水,木,金,土,日", "09:00", "21:30"),
    "branch": ("各種証明書の発行、届出の受付を行う窓口", "月,火,水,木,金", "08:30", "17:15"),
    "welfare": ("高齢者の交流とくつろぎの場", "月,火,水,木,金,土", "09:00", "16:30"),
}


def public_facility(slug: str, *, encoding: str = "utf-8-sig") -> bytes:
    """公共施設 (01). The set has no parking column, so parking goes to 備考."""
    muni = BY_SLUG[slug]
    rng = rng_for(f"{muni.code}_public_facility")
    rows = []
    for index, site in enumerate(sites(rng, muni, tuple(_FACILITY_INFO), share=0.7), 1):
        description, days, start, end = _FACILITY_INFO[site.kind]
        record: dict[str, object] = {
            "全国地方公共団体コード": muni.code,
            "ID": f"{index:05d}",
            "地方公共団体名": muni.name,
            "名称": site.name,
            "名称_カナ": site.kana,
            "名称_英字": site.en,
            **location_record(muni, site),
            "電話番号": phone(rng, muni),
            "郵便番号": site.area.zip,
            "法人番号": corporate_number(muni.code),
            "団体名": muni.name,
            "利用可能曜日": days,
            "開始時間": start,
            "終了時間": end,
            "利用可能日時特記事項": "祝日・年末年始（12月29日～1月3日）は休館",
            "説明": description,
            "バリアフリー情報": rng.choice(
                ["車椅子使用者用トイレあり", "スロープ・多目的トイレあり", "エレベーターあり"]
            ),
            "備考": f"駐車場{rng.randrange(10, 120, 5)}台（無料）",
        }
        rows.append(project(PUBLIC_FACILITY_HEADER, record))
    return csv_bytes(PUBLIC_FACILITY_HEADER, rows, encoding=encoding)


_TOILET_COUNTS = [
    "男性トイレ総数",
    "男性トイレ数（小便器）",
    "男性トイレ数（和式）",
    "男性トイレ数（洋式）",
    "女性トイレ総数",
    "女性トイレ数（和式）",
    "女性トイレ数（洋式）",
    "男女共用トイレ総数",
    "男女共用トイレ数（和式）",
    "男女共用トイレ数（洋式）",
    "バリアフリートイレ数",
]
_TOILET_TAIL = [
    "車椅子使用者用トイレ有無",
    "乳幼児用設備設置トイレ有無",
    "オストメイト設置トイレ有無",
    "利用開始時間",
    "利用終了時間",
    "利用可能時間特記事項",
    *IMAGE_COLUMNS,
    "備考",
]
_TOILET_NAMES = ["全国地方公共団体コード", "ID", "地方公共団体名", "名称", "名称_カナ"]

TOILET_HEADER = [
    *_TOILET_NAMES,
    "名称_英語",
    *LOCATION_COLUMNS[:-2],
    "設置位置",
    *LOCATION_COLUMNS[-2:],
    *HEIGHT_COLUMNS,
    *_TOILET_COUNTS,
    *_TOILET_TAIL,
]

# The layout of the earlier 推奨データセット, still common: 名称_英字 and 設置位置 after 経度.
TOILET_OLD_HEADER = [
    *_TOILET_NAMES,
    "名称_英字",
    *LOCATION_COLUMNS,
    "設置位置",
    *_TOILET_COUNTS,
    *_TOILET_TAIL,
]

_TOILET_SPOTS = ("駅前", "海岸", "公園", "バスターミナル", "観光駐車場", "港")
_TOILET_KANA = (
    "エキマエ",
    "カイガン",
    "コウエン",
    "バスターミナル",
    "カンコウチュウシャジョウ",
    "ミナト",
)
_TOILET_EN = ("Station Square", "Beach", "Park", "Bus Terminal", "Tourist Parking", "Port")


def public_toilet(slug: str, *, encoding: str = "utf-8-sig", zenkaku_counts: bool = False) -> bytes:
    """公衆トイレ (13). zenkaku_counts: the older layout, counts typed as full-width digits and
    － for none."""
    muni = BY_SLUG[slug]
    rng = rng_for(f"{muni.code}_public_toilet")
    rows = []
    index = 0
    for area in muni.areas:
        for spot in rng.sample(range(len(_TOILET_SPOTS)), 2):
            index += 1
            site = Site(rng, area, "toilet")
            urinal, m_wa, m_yo = rng.randint(1, 4), rng.randint(0, 1), rng.randint(1, 2)
            f_wa, f_yo = rng.randint(0, 2), rng.randint(1, 3)
            accessible = rng.randint(0, 1)
            counts = [
                urinal + m_wa + m_yo,
                urinal,
                m_wa,
                m_yo,
                f_wa + f_yo,
                f_wa,
                f_yo,
                0,
                0,
                0,
                accessible,
            ]
            if zenkaku_counts:
                count_cells: list[object] = [zenkaku(c) if c else MISSING for c in counts]
            else:
                count_cells = list(counts)
            english = f"{site.area.roman} {_TOILET_EN[spot]} Public Toilet"
            record: dict[str, object] = {
                "全国地方公共団体コード": muni.code,
                "ID": index,
                "地方公共団体名": muni.name,
                "名称": f"{site.area.label}{_TOILET_SPOTS[spot]}公衆トイレ",
                "名称_カナ": f"{site.area.kana}{_TOILET_KANA[spot]}コウシュウトイレ",
                "名称_英字" if zenkaku_counts else "名称_英語": english,
                **location_record(muni, site),
                "設置位置": "屋外（独立棟）",
                **dict(zip(_TOILET_COUNTS, count_cells, strict=True)),
                "車椅子使用者用トイレ有無": "有" if accessible else "無",
                "乳幼児用設備設置トイレ有無": "有" if accessible and rng.random() < 0.7 else "無",
                "オストメイト設置トイレ有無": "有" if accessible and rng.random() < 0.4 else "無",
                "利用開始時間": "" if rng.random() < 0.7 else "07:00",
                "利用終了時間": "" if rng.random() < 0.7 else "21:00",
                "利用可能時間特記事項": (
                    "24時間利用可（夜間は照明あり）" if rng.random() < 0.5 else ""
                ),
            }
            header = TOILET_OLD_HEADER if zenkaku_counts else TOILET_HEADER
            rows.append(project(header, record, allowed=TOILET_HEADER))
    return csv_bytes(
        TOILET_OLD_HEADER if zenkaku_counts else TOILET_HEADER, rows, encoding=encoding
    )


WIFI_HEADER = [
    "全国地方公共団体コード",
    "法人番号",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英語",
    *LOCATION_COLUMNS,
    "設置者",
    *CONTACT_COLUMNS,
    "SSID",
    "提供エリア",
    "URL",
    "備考",
]

# A system export that keeps columns of its own (hours, authentication, languages).
WIFI_OLD_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英字",
    *LOCATION_COLUMNS,
    "設置者",
    "電話番号",
    "内線番号",
    "設置位置",
    "SSID",
    "利用開始時間",
    "利用終了時間",
    "利用可能時間特記事項",
    "認証方法",
    "対応言語",
    "URL",
    "備考",
]


def public_wireless_lan(slug: str, *, encoding: str = "utf-8-sig", messy: bool = False) -> bytes:
    """公衆無線LANアクセスポイント (07). messy: an export with columns of its own (利用時間,
    認証方法, 対応言語) and 名称_英字."""
    muni = BY_SLUG[slug]
    rng = rng_for(f"{muni.code}_public_wireless_lan")
    ssid = f"{muni.roman.replace('-', '_')}_Free_Wi-Fi"
    rows = []
    found = sites(rng, muni, ("kominkan", "library", "branch", "gym"), share=0.6)
    for index, site in enumerate(found, 1):
        tel = phone(rng, muni)
        position = rng.choice(["1階 ロビー", "1階 待合スペース", "2階 学習室", "玄関ホール"])
        closing = rng.choice(["17:15", "21:00", "22:00"])
        auth = rng.choice(["メールアドレス認証", "SNSアカウント認証", "認証なし（利用規約に同意）"])
        record: dict[str, object] = {
            "全国地方公共団体コード": muni.code,
            "ID": index,
            "地方公共団体名": muni.name,
            "名称": site.name,
            "名称_カナ": site.kana,
            **location_record(muni, site),
            "設置者": muni.name,
            "電話番号": tel,
            "SSID": ssid,
        }
        if messy:
            record |= {
                "名称_英字": site.en,
                "設置位置": position,
                "利用開始時間": "08:30",
                "利用終了時間": closing,
                "利用可能時間特記事項": "施設の開館時間内。災害時は00000JAPANとして開放",
                "認証方法": auth,
                "対応言語": "日本語,英語,中国語,韓国語",
            }
            rows.append(project(WIFI_OLD_HEADER, record))
            continue
        record |= {
            "法人番号": corporate_number(muni.code),
            "名称_英語": site.en,
            "郵便番号": site.area.zip,
            "提供エリア": f"{position}周辺",
            "備考": f"利用時間 8:30～{closing}（施設の開館時間内）。災害時は00000JAPANとして開放",
        }
        rows.append(project(WIFI_HEADER, record))
    return csv_bytes(WIFI_OLD_HEADER if messy else WIFI_HEADER, rows, encoding=encoding)


BUS_STOP_HEADER = [
    "全国地方公共団体コード",
    "停留所ID",
    "停留所名",
    "停留所名_カナ",
    "路線名",
    "緯度",
    "経度",
    "上屋の有無",
    "ベンチの有無",
    "備考",
]

_STOP_SUFFIXES = (
    ("駅前", "エキマエ"),
    ("中央", "チュウオウ"),
    ("公民館前", "コウミンカンマエ"),
    ("小学校前", "ショウガッコウマエ"),
    ("支所前", "シショマエ"),
    ("入口", "イリグチ"),
    ("団地", "ダンチ"),
    ("本町", "ホンマチ"),
    ("東", "ヒガシ"),
    ("西", "ニシ"),
)


def bus_stop(slug: str, *, encoding: str = "utf-8-sig") -> bytes:
    """コミュニティバス停留所: stops of a few routes linking the districts to the centre."""
    muni = BY_SLUG[slug]
    rng = rng_for(f"{muni.code}_bus_stop")
    centre = muni.areas[0]
    rows = []
    seen: set[str] = set()
    for route_no, area in enumerate(muni.areas[1:], 1):
        route = f"{area.label}線"
        for suffix, kana in rng.sample(_STOP_SUFFIXES, rng.randint(4, 7)):
            name = f"{area.label}{suffix}"
            if name in seen:
                continue  # a stop shared by two routes is listed once
            seen.add(name)
            lat, lon = jitter(rng, area.lat, area.lon, 0.01)
            rows.append(
                [
                    muni.code,
                    f"{route_no:02d}{len(rows) + 1:03d}",
                    name,
                    f"{area.kana}{kana}",
                    f"{route}（{centre.label}方面）",
                    lat,
                    lon,
                    "有" if rng.random() < 0.3 else "無",
                    "有" if rng.random() < 0.5 else "無",
                    "",
                ]
            )
    return csv_bytes(BUS_STOP_HEADER, rows, encoding=encoding)
