"""The prefectural datasets: statistics, disaster prevention, tourism and environment."""

from __future__ import annotations

from tsunagu.catalog.metadata.frequency import label as frequency_label
from tsunagu.demo import files_documents as documents
from tsunagu.demo import files_population as population
from tsunagu.demo import files_statistics as statistics
from tsunagu.demo import files_tourism as tourism
from tsunagu.demo.builder import Spec, csv, dataset, other, xlsx
from tsunagu.demo.model import DemoDataset
from tsunagu.demo.places import PREF_CODE, PREF_NAME

SJIS = "cp932"

# Organisation slug -> (section name used as author, maintainer mailbox).
SECTIONS = {
    "yamaguchi-pref": ("山口県 総合企画部 デジタル推進局", "opendata.yamaguchi-pref"),
    "yamaguchi-pref-toukei": ("山口県 総合企画部 統計分析課", "toukei.yamaguchi-pref"),
    "yamaguchi-pref-bousai": ("山口県 総務部 防災危機管理課", "bousai.yamaguchi-pref"),
    "yamaguchi-pref-kanko": ("山口県 観光スポーツ文化部 観光政策課", "kanko.yamaguchi-pref"),
    "yamaguchi-pref-kankyo": ("山口県 環境生活部 環境政策課", "kankyo.yamaguchi-pref"),
}


def _pref(
    org: str,
    english: str,
    title: str,
    lead: str,
    specs: tuple[Spec, ...],
    *,
    groups: tuple[str, ...],
    tags: tuple[str, ...],
    frequency: str,
    license_id: str = "cc-by-4.0",
    temporal: tuple[str | None, str | None] = (None, None),
    standard: str | None = None,
    args: tuple[object, ...] = (),
) -> DemoDataset:
    author, mailbox = SECTIONS[org]
    return dataset(
        name=f"yamaguchi-pref-{english.replace('_', '-')}",
        title=title,
        lead=lead,
        organization=org,
        stem=f"{PREF_CODE}_{english}",
        specs=specs,
        args=args,
        groups=groups,
        tags=tags,
        frequency=frequency,
        spatial=PREF_NAME,
        author=author,
        maintainer=mailbox,
        standard=standard,
        license_id=license_id,
        temporal=temporal,
    )


def prefecture_datasets() -> list[DemoDataset]:
    """All prefectural datasets except the prefecture's オープンデータ一覧."""
    toukei, bousai, kanko, kankyo = (
        "yamaguchi-pref-toukei",
        "yamaguchi-pref-bousai",
        "yamaguchi-pref-kanko",
        "yamaguchi-pref-kankyo",
    )
    stats = ("jinko-tokei",)
    return [
        _pref(toukei, "population_estimate_monthly",
              "山口県人口移動統計調査（市町別推計人口・月報）",
              "毎月1日現在の市町別推計人口と、前月中の自然動態・社会動態です。",
              (xlsx(population.population_estimate_monthly),), groups=stats,
              tags=("人口", "推計人口", "人口移動"), frequency="月1回", license_id="pdl-1.0",
              temporal=("2025-02-01", "2025-03-01")),
        _pref(toukei, "population_by_municipality", "市町別推計人口（年報）",
              "各年10月1日現在の市町別の世帯数・人口と対前年増減です（令和2年国勢調査基準）。",
              (csv(population.population_by_municipality, SJIS),), groups=stats,
              tags=("人口", "推計人口", "市町別"), frequency="年1回", license_id="pdl-1.0",
              temporal=("2020-10-01", "2024-10-01")),
        _pref(toukei, "statistical_yearbook_02_population", "山口県統計年鑑 第2章 人口",
              "統計年鑑の人口の章です。人口の推移と市町別の面積・人口を2つのシートに収録しています。",
              (xlsx(statistics.yearbook_population),), groups=stats,
              tags=("統計年鑑", "人口", "世帯"), frequency="年1回", license_id="pdl-1.0",
              temporal=("2015-10-01", "2024-10-01")),
        _pref(toukei, "statistical_yearbook_11_transport", "山口県統計年鑑 第11章 運輸・通信",
              "市町別の自動車保有車両数です。", (xlsx(statistics.yearbook_transport),),
              groups=("jinko-tokei", "kotsu"), tags=("統計年鑑", "交通", "自動車"),
              frequency="年1回", license_id="pdl-1.0", temporal=("2024-03-31", "2024-03-31")),
        _pref(toukei, "statistical_yearbook_19_education", "山口県統計年鑑 第19章 教育・文化",
              "市町別の小学校の学校数・学級数・児童数・教員数です。",
              (csv(statistics.yearbook_education, SJIS),), groups=("jinko-tokei", "kyoiku-bunka"),
              tags=("統計年鑑", "教育", "学校"), frequency="年1回", license_id="pdl-1.0",
              temporal=("2024-05-01", "2024-05-01")),
        _pref(toukei, "statistical_yearbook_17_health", "山口県統計年鑑 第17章 保健・衛生",
              "市町別の病院・一般診療所・歯科診療所の施設数と病床数です。",
              (csv(statistics.yearbook_health),), groups=("jinko-tokei", "kenko-fukushi"),
              tags=("統計年鑑", "医療", "病床数"), frequency="年1回", license_id="pdl-1.0",
              temporal=("2023-10-01", "2023-10-01")),
        _pref(toukei, "births", "出生数・合計特殊出生率の推移",
              "人口動態統計による県内の出生数と合計特殊出生率（全国値との比較）です。",
              (csv(population.births),), groups=("jinko-tokei", "kosodate"),
              tags=("出生", "合計特殊出生率", "少子化"), frequency="年1回", license_id="pdl-1.0",
              temporal=("2005-01-01", "2023-12-31")),
        _pref(bousai, "flood_assumed_area", "椹野川 洪水浸水想定区域（想定最大規模）",
              "椹野川水系椹野川の洪水浸水想定区域を浸水深ランク別のポリゴンで示したものです（簡略化）。",
              (other("GeoJSON", documents.flood_area_geojson),), groups=("bousai",),
              tags=("防災", "浸水想定区域", "洪水", "GIS"), frequency="随時"),
        _pref(bousai, "regional_disaster_prevention_plan", "山口県地域防災計画（概要版）",
              "山口県地域防災計画の概要をまとめた資料です。",
              (other("PDF", documents.disaster_plan_pdf),), groups=("bousai",),
              tags=("防災", "計画"), frequency="年1回"),
        _pref(bousai, "landslide_warning_area", "土砂災害警戒区域等の指定状況（市町別）",
              "土砂災害防止法に基づく土砂災害警戒区域・特別警戒区域の市町別指定箇所数です。",
              (csv(statistics.landslide_zones, SJIS),), groups=("bousai",),
              tags=("防災", "土砂災害", "警戒区域"), frequency="随時"),
        _pref(kanko, "tourist_count_by_municipality", "山口県観光客動態調査（市町別観光客数）",
              "市町別の延べ観光客数と宿泊者数の推移です。",
              (xlsx(statistics.tourist_counts_by_municipality),), groups=("kanko", "jinko-tokei"),
              tags=("観光", "観光客数", "統計"), frequency="年1回",
              temporal=("2022-01-01", "2024-12-31")),
        _pref(kanko, "tourist_count_by_spot", "主要観光地の観光客数",
              "県内の主要観光地ごとの観光客数の推移です。",
              (csv(statistics.tourist_counts_by_spot),), groups=("kanko",),
              tags=("観光", "観光客数", "観光地"), frequency="年1回",
              temporal=("2022-01-01", "2024-12-31")),
        _pref(kanko, "event", "県内の主なまつり・イベント",
              "県内各地の主なまつり・イベントを観光政策課がとりまとめたものです。",
              (csv(tourism.prefectural_event),), groups=("kanko",),
              tags=("観光", "イベント", "まつり"),
              frequency="月1回", temporal=("2025-04-01", "2026-03-31"), standard="イベント"),
        _pref(kankyo, "air_quality", "大気環境常時監視測定結果（月平均値）",
              "県内の大気環境測定局における月平均値です。",
              (csv(statistics.air_quality),), groups=("kankyo",),
              tags=("環境", "大気", "PM2.5"), frequency="月1回",
              temporal=("2024-04-01", "2025-03-31")),
        _pref(kankyo, "municipal_waste", "市町別ごみ排出量",
              "一般廃棄物処理実態調査に基づく市町別のごみ排出量とリサイクル率です。",
              (xlsx(statistics.waste),), groups=("kankyo",), tags=("環境", "ごみ", "リサイクル"),
              frequency="年1回", temporal=("2023-04-01", "2024-03-31")),
        _pref(kankyo, "environmental_basic_plan", "山口県環境基本計画（概要版）",
              "山口県環境基本計画の概要をまとめた資料です。",
              (other("PDF", documents.environment_plan_pdf),), groups=("kankyo",),
              tags=("環境", "計画"), frequency="随時"),
        _pref("yamaguchi-pref", "cultural_property", "山口県指定文化財一覧",
              "県が指定した有形・無形・記念物の文化財の一覧です。",
              (csv(tourism.prefectural_cultural_property),), groups=("kyoiku-bunka", "kanko"),
              tags=("文化財", "県指定", "歴史"), frequency="随時", standard="文化財"),
    ]  # fmt: skip


def prefecture_opendata_list(published: list[DemoDataset], groups: dict[str, str]) -> DemoDataset:
    """The prefecture's オープンデータ一覧, covering its own and its departments' datasets."""
    entries: list[documents.ListEntry] = []
    for ds in published:
        formats = "・".join(dict.fromkeys(r.format for r in ds.resources))
        category = groups[ds.groups[0]] if ds.groups else ""
        summary = ds.notes.splitlines()[0]
        entries.append(
            (
                ds.title,
                summary,
                category,
                formats,
                frequency_label(ds.frequency),
                ds.license_id,
                ds.name,
                "",
            )
        )
    return _pref(
        "yamaguchi-pref",
        "opendata_list",
        "山口県オープンデータ一覧",
        "山口県（各部局）が公開しているオープンデータの一覧です。",
        (csv(documents.opendata_list),),
        groups=(),
        tags=("オープンデータ",),
        frequency="随時",
        standard="オープンデータ一覧",
        args=(PREF_CODE, PREF_NAME, tuple(entries)),
    )
