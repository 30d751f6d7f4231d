"""Non-tabular demo files: PDF plan summaries, a flood-zone GeoJSON and オープンデータ一覧."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from tsunagu.demo.common import PORTAL_URL, csv_bytes, json_bytes, pdf_bytes, rng_for
from tsunagu.demo.places import PREF_CODE

_DEMO_LINE = "※本資料はデモ用に作成した架空の文書です。"

DISASTER_PLAN_PAGES = (
    (
        "# 山口県地域防災計画（概要版）",
        "令和7年3月修正　山口県防災会議",
        "",
        "1　計画の目的",
        "　災害対策基本法第40条に基づき、県、市町及び防災関係機関が",
        "　処理すべき事務又は業務の大綱を定め、県民の生命、身体及び",
        "　財産を災害から保護することを目的とする。",
        "",
        "2　計画の構成",
        "　(1) 基本編　(2) 震災対策編　(3) 風水害対策編",
        "　(4) 津波災害対策編　(5) 資料編",
        "",
        "3　想定する主な災害",
        "　・梅雨前線や台風による豪雨、洪水、高潮及び土砂災害",
        "　・県内及び周辺の活断層を震源とする地震",
        "　・南海トラフ地震に伴う津波",
    ),
    (
        "# 重点的な取組",
        "",
        "4　避難対策",
        "　・指定緊急避難場所及び指定避難所の指定と周知",
        "　・要配慮者の避難支援体制の整備",
        "　・避難情報の発令基準の明確化",
        "",
        "5　情報の共有",
        "　・防災情報のオープンデータ化と市町との共有",
        "　・浸水想定区域、土砂災害警戒区域の公開",
        "",
        "6　市町との連携",
        "　・県と19市町による合同防災訓練の実施",
        "　・広域避難に関する協定の締結",
        "",
        _DEMO_LINE,
    ),
)

ENVIRONMENT_PLAN_PAGES = (
    (
        "# 山口県環境基本計画（概要版）",
        "計画期間：令和5年度～令和12年度",
        "",
        "1　目指す姿",
        "　豊かな自然と共生し、未来につなぐ持続可能な山口県",
        "",
        "2　施策の柱",
        "　(1) 脱炭素社会の実現",
        "　(2) 循環型社会の形成",
        "　(3) 自然共生社会の構築",
        "　(4) 安心・安全な生活環境の確保",
        "",
        "3　主な指標",
        "　・温室効果ガス排出量の削減",
        "　・一般廃棄物のリサイクル率の向上",
        "　・大気環境基準の達成率100%の維持",
        "",
        _DEMO_LINE,
    ),
)


def disaster_plan_pdf() -> bytes:
    return pdf_bytes("山口県地域防災計画（概要版）", DISASTER_PLAN_PAGES)


def environment_plan_pdf() -> bytes:
    return pdf_bytes("山口県環境基本計画（概要版）", ENVIRONMENT_PLAN_PAGES)


# Centre line of the 椹野川 from 山口市 中心部 down to the bay, (lat, lon).
_RIVER = (
    (34.200, 131.486),
    (34.182, 131.471),
    (34.163, 131.457),
    (34.143, 131.441),
    (34.122, 131.425),
    (34.102, 131.407),
    (34.083, 131.396),
    (34.062, 131.394),
    (34.042, 131.399),
)

_DEPTH_RANKS = (
    ("3.0m以上5.0m未満", 3.0, 5.0, 0.0018),
    ("0.5m以上3.0m未満", 0.5, 3.0, 0.0055),
    ("0.5m未満", 0.0, 0.5, 0.0100),
)


def _band(start: tuple[float, float], end: tuple[float, float], width: float) -> list[list[float]]:
    """A closed, counter-clockwise [lon, lat] ring around one river segment."""
    (lat1, lon1), (lat2, lon2) = start, end
    dlat, dlon = lat2 - lat1, lon2 - lon1
    length = (dlat**2 + dlon**2) ** 0.5
    nlat, nlon = -dlon / length * width, dlat / length * width
    ring = [
        [lon1 + nlon, lat1 + nlat],
        [lon1 - nlon, lat1 - nlat],
        [lon2 - nlon, lat2 - nlat],
        [lon2 + nlon, lat2 + nlat],
    ]
    area2 = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1], strict=True))
    if area2 < 0:
        ring.reverse()
    ring = [[round(x, 6), round(y, 6)] for x, y in ring]
    return [*ring, ring[0]]


def flood_area_geojson() -> bytes:
    """洪水浸水想定区域（想定最大規模）along the 椹野川, simplified to segment bands."""
    rng = rng_for(f"{PREF_CODE}_flood_assumed_area")
    features = []
    for index, (start, end) in enumerate(pairwise(_RIVER), 1):
        for rank, low, high, width in _DEPTH_RANKS:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [_band(start, end, width * rng.uniform(0.85, 1.15))],
                    },
                    "properties": {
                        "区間番号": index,
                        "水系名": "椹野川水系",
                        "河川名": "椹野川",
                        "市町名": "山口市",
                        "浸水深ランク": rank,
                        "浸水深_下限_m": low,
                        "浸水深_上限_m": high,
                        "想定": "想定最大規模降雨（24時間総雨量 853mm）",
                    },
                }
            )
    return json_bytes(
        {
            "type": "FeatureCollection",
            "name": f"{PREF_CODE}_flood_assumed_area",
            "features": features,
        }
    )


OPENDATA_LIST_HEADER = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "データセット名",
    "概要",
    "分類",
    "ファイル形式",
    "更新頻度",
    "ライセンス",
    "公開日",
    "URL",
    "備考",
]

# One entry: (title, summary, category, formats, frequency, license, dataset slug or "", note)
ListEntry = tuple[str, str, str, str, str, str, str, str]


def opendata_list(
    code: str, government: str, entries: Sequence[ListEntry], *, encoding: str = "utf-8-sig"
) -> bytes:
    """オープンデータ一覧: one row per published (or planned) dataset of the organisation."""
    rows = []
    for index, (title, summary, category, formats, frequency, license_id, slug, note) in enumerate(
        entries, 1
    ):
        rows.append(
            [
                code,
                index,
                government,
                title,
                summary,
                category,
                formats,
                frequency,
                license_id,
                "2025-04-01" if slug else "",
                f"{PORTAL_URL}/dataset/{slug}" if slug else "",
                note,
            ]
        )
    return csv_bytes(OPENDATA_LIST_HEADER, rows, encoding=encoding)
