"""The municipal datasets: which city publishes which standard dataset, in which shape.

Encodings and layouts deliberately differ from city to city (宇部市 exports everything from an
old system in Shift_JIS, 下関市 publishes population as Excel, ...), like real portals.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsunagu.catalog.metadata.frequency import label as frequency_label
from tsunagu.demo import files_bousai as bousai
from tsunagu.demo import files_documents as documents
from tsunagu.demo import files_facilities as facilities
from tsunagu.demo import files_population as population
from tsunagu.demo import files_tourism as tourism
from tsunagu.demo import files_welfare as welfare
from tsunagu.demo.builder import Spec, csv, dataset, other, xlsx
from tsunagu.demo.model import DemoDataset
from tsunagu.demo.places import BY_SLUG, PREF_NAME, Municipality


@dataclass(frozen=True)
class Kind:
    title: str
    english: str  # file stem after the code, as in the standard: 352012_evacuation_space.csv
    standard: str | None
    groups: tuple[str, ...]
    tags: tuple[str, ...]
    lead: str  # sentence after "<市名>の"
    frequency: str
    section: str  # the (fictional) section that maintains it
    temporal: tuple[str | None, str | None] = (None, None)


KINDS: dict[str, Kind] = {
    "evacuation_space": Kind(
        "指定緊急避難場所一覧", "evacuation_space", "指定緊急避難場所", ("bousai",),
        ("防災", "避難場所", "災害"),
        "災害時に命を守るため緊急的に避難する場所として指定した施設・場所の一覧です。",
        "随時", "防災危機管理課",
    ),
    "aed_location": Kind(
        "AED設置箇所一覧", "aed_location", "AED設置箇所", ("bousai", "kenko-fukushi"),
        ("AED", "救命", "防災"), "公共施設等に設置しているAED（自動体外式除細動器）の一覧です。",
        "随時", "消防本部 警防課",
    ),
    "public_facility": Kind(
        "公共施設一覧", "public_facility", "公共施設", ("kyoiku-bunka",),
        ("公共施設", "公民館", "図書館"), "公民館・図書館・体育館など市の公共施設の一覧です。",
        "年1回", "総務課",
    ),
    "cultural_property": Kind(
        "指定文化財一覧", "cultural_property", "文化財", ("kyoiku-bunka", "kanko"),
        ("文化財", "史跡", "歴史"), "国・県・市が指定した文化財の一覧です。", "随時",
        "教育委員会 文化財保護課",
    ),
    "tourism": Kind(
        "観光施設一覧", "tourism", "観光施設", ("kanko",), ("観光", "観光施設"),
        "主な観光施設・観光スポットの一覧です。", "随時", "観光振興課",
    ),
    "event": Kind(
        "イベント一覧", "event", "イベント", ("kanko", "kyoiku-bunka"), ("イベント", "まつり"),
        "主なまつりと市民向けイベントの一覧です。", "月1回", "地域振興課",
        ("2025-04-01", "2026-03-31"),
    ),
    "child_care_facility": Kind(
        "子育て施設一覧", "child_care_facility", "子育て施設", ("kosodate",),
        ("子育て", "保育所", "幼稚園", "児童館"),
        "保育所・幼稚園・児童館・放課後児童クラブなど子育て施設の一覧です。", "年1回",
        "こども家庭課",
    ),
    "population": Kind(
        "地域・年齢別人口", "population", "地域・年齢別人口", ("jinko-tokei",),
        ("人口", "年齢別人口", "町字別"), "町字別・5歳階級別・男女別の人口と世帯数です。",
        "年1回", "市民課", ("2024-03-31", "2025-03-31"),
    ),
    "public_wireless_lan": Kind(
        "公衆無線LANアクセスポイント一覧", "public_wireless_lan", "公衆無線LANアクセスポイント",
        ("kanko", "bousai"), ("Wi-Fi", "公衆無線LAN"),
        "市の施設で利用できる無料公衆無線LANの一覧です。", "随時", "デジタル推進課",
    ),
    "medical_institution": Kind(
        "医療機関一覧", "medical_institution", "医療機関", ("kenko-fukushi",),
        ("医療", "病院", "診療所"), "市内の病院・診療所・歯科診療所の一覧です。", "年1回",
        "健康増進課",
    ),
    "care_service": Kind(
        "介護サービス事業所一覧", "care_service", "介護サービス事業所", ("kenko-fukushi",),
        ("介護", "高齢者福祉"), "市内の介護サービス事業所の一覧です。", "年1回",
        "高齢者支援課",
    ),
    "public_toilet": Kind(
        "公衆トイレ一覧", "public_toilet", "公衆トイレ", ("kanko",), ("トイレ", "バリアフリー"),
        "市が管理する公衆トイレの一覧です。", "随時", "観光振興課",
    ),
    "fire_hydrant": Kind(
        "消防水利施設一覧", "fire_hydrant", "消防水利施設", ("bousai",),
        ("消防", "消火栓", "防火水槽"), "消火栓・防火水槽など消防水利施設の一覧です。",
        "年1回", "消防本部 警防課",
    ),
    "opendata_list": Kind(
        "オープンデータ一覧", "opendata_list", "オープンデータ一覧", (), ("オープンデータ",),
        "公開しているオープンデータと公開予定のデータの一覧です。", "随時", "デジタル推進課",
    ),
    "population_trend": Kind(
        "人口・世帯数の推移（月別）", "population_trend", None, ("jinko-tokei",),
        ("人口", "世帯数", "人口動態"), "住民基本台帳に基づく月別の人口・世帯数と人口動態です。",
        "月1回", "市民課", ("2023-04-01", "2025-03-31"),
    ),
    "bus_stop": Kind(
        "コミュニティバス停留所一覧", "bus_stop", None, ("kotsu",),
        ("交通", "バス", "コミュニティバス"), "コミュニティバスの停留所の位置と路線の一覧です。",
        "随時", "交通政策課",
    ),
}  # fmt: skip


def standard(
    muni: Municipality,
    kind_key: str,
    *specs: Spec,
    private: bool = False,
    license_id: str = "cc-by-4.0",
    args: tuple[object, ...] | None = None,
) -> DemoDataset:
    kind = KINDS[kind_key]
    return dataset(
        name=f"{muni.slug}-{kind.english.replace('_', '-')}",
        title=f"{muni.name} {kind.title}",
        lead=f"{muni.name}の{kind.lead}",
        organization=muni.slug,
        stem=f"{muni.code}_{kind.english}",
        specs=specs,
        args=args or (muni.slug,),
        groups=kind.groups,
        tags=kind.tags,
        frequency=kind.frequency,
        spatial=f"{PREF_NAME}{muni.name}",
        author=f"{muni.name} {kind.section}",
        maintainer=f"opendata.{muni.slug}",
        standard=kind.standard,
        license_id=license_id,
        temporal=kind.temporal,
        private=private,
    )


SJIS = "cp932"


def municipal_datasets() -> list[DemoDataset]:
    """All municipal datasets except the オープンデータ一覧 files (built from these)."""
    m = BY_SLUG
    found: list[DemoDataset] = []

    def add(
        slug: str, kind: str, *specs: Spec, private: bool = False, license_id: str = "cc-by-4.0"
    ) -> None:
        found.append(standard(m[slug], kind, *specs, private=private, license_id=license_id))

    # 下関市: the most complete portal; population as Excel, one Shift_JIS export.
    add(
        "shimonoseki-city",
        "evacuation_space",
        csv(bousai.evacuation_space),
        other("GeoJSON", bousai.evacuation_space_geojson),
    )
    add("shimonoseki-city", "aed_location", csv(bousai.aed_location))
    add("shimonoseki-city", "public_facility", csv(facilities.public_facility))
    add("shimonoseki-city", "tourism", csv(tourism.tourism))
    add("shimonoseki-city", "event", csv(tourism.event))
    add("shimonoseki-city", "population", xlsx(population.population_xlsx))
    add(
        "shimonoseki-city",
        "child_care_facility",
        csv(welfare.child_care_facility, SJIS, messy=True),
    )
    add("shimonoseki-city", "public_toilet", csv(facilities.public_toilet))
    # 宇部市: everything exported from an older system: Shift_JIS, "1,200", 和暦.
    add("ube-city", "evacuation_space", csv(bousai.evacuation_space, SJIS, messy=True))
    add("ube-city", "aed_location", csv(bousai.aed_location, SJIS, messy=True))
    add("ube-city", "medical_institution", csv(welfare.medical_institution, SJIS, messy=True))
    add("ube-city", "population", csv(population.population, SJIS, messy=True))
    add("ube-city", "public_wireless_lan", csv(facilities.public_wireless_lan, SJIS, messy=True))
    # 山口市: clean UTF-8 CSVs, a couple of Excel files, events also as JSON.
    add("yamaguchi-city", "evacuation_space", csv(bousai.evacuation_space))
    add("yamaguchi-city", "public_facility", csv(facilities.public_facility))
    add("yamaguchi-city", "cultural_property", xlsx(tourism.cultural_property_xlsx))
    add("yamaguchi-city", "tourism", csv(tourism.tourism))
    add("yamaguchi-city", "child_care_facility", csv(welfare.child_care_facility))
    add("yamaguchi-city", "care_service", xlsx(welfare.care_service_xlsx), private=True)
    add("yamaguchi-city", "event", csv(tourism.event), other("JSON", tourism.event_json))
    add("yamaguchi-city", "population", csv(population.population))
    # 萩市
    add("hagi-city", "cultural_property", csv(tourism.cultural_property, SJIS, messy=True))
    add("hagi-city", "tourism", csv(tourism.tourism))
    add("hagi-city", "evacuation_space", csv(bousai.evacuation_space))
    add("hagi-city", "public_toilet", csv(facilities.public_toilet, SJIS, zenkaku_counts=True))
    # 防府市
    add("hofu-city", "aed_location", csv(bousai.aed_location))
    add("hofu-city", "evacuation_space", csv(bousai.evacuation_space, messy=True))
    add("hofu-city", "fire_hydrant", csv(bousai.fire_hydrant, messy=True))
    add("hofu-city", "population_trend", csv(population.population_trend, SJIS))
    # 下松市
    add("kudamatsu-city", "aed_location", csv(bousai.aed_location))
    add("kudamatsu-city", "evacuation_space", csv(bousai.evacuation_space, SJIS))
    # 岩国市
    add("iwakuni-city", "tourism", csv(tourism.tourism))
    add("iwakuni-city", "evacuation_space", csv(bousai.evacuation_space))
    add("iwakuni-city", "medical_institution", xlsx(welfare.medical_institution_xlsx))
    add("iwakuni-city", "public_wireless_lan", csv(facilities.public_wireless_lan))
    # 光市
    add("hikari-city", "evacuation_space", csv(bousai.evacuation_space))
    add("hikari-city", "child_care_facility", csv(welfare.child_care_facility, messy=True))
    # 長門市
    add("nagato-city", "tourism", csv(tourism.tourism))
    add("nagato-city", "public_toilet", csv(facilities.public_toilet))
    add("nagato-city", "evacuation_space", csv(bousai.evacuation_space))
    # 柳井市
    add("yanai-city", "cultural_property", csv(tourism.cultural_property))
    add("yanai-city", "aed_location", csv(bousai.aed_location))
    add("yanai-city", "event", csv(tourism.event, SJIS, messy=True))
    # 美祢市 (CC0, as some cities choose)
    add("mine-city", "tourism", csv(tourism.tourism, SJIS), license_id="cc0-1.0")
    add("mine-city", "evacuation_space", csv(bousai.evacuation_space), license_id="cc0-1.0")
    # 周南市: fire-water sources kept private (shared with the fire service only).
    add("shunan-city", "evacuation_space", csv(bousai.evacuation_space))
    add("shunan-city", "aed_location", csv(bousai.aed_location))
    add("shunan-city", "child_care_facility", csv(welfare.child_care_facility))
    add("shunan-city", "care_service", csv(welfare.care_service, SJIS, messy=True))
    add("shunan-city", "fire_hydrant", csv(bousai.fire_hydrant), private=True)
    add("shunan-city", "population", csv(population.population, slash_dates=True))
    add("shunan-city", "bus_stop", csv(facilities.bus_stop))
    # 山陽小野田市
    add("sanyo-onoda-city", "evacuation_space", csv(bousai.evacuation_space))
    add("sanyo-onoda-city", "public_wireless_lan", csv(facilities.public_wireless_lan))
    add("sanyo-onoda-city", "medical_institution", csv(welfare.medical_institution))
    return found


# Datasets a city lists in its オープンデータ一覧 as planned (not yet published).
PLANNED = (
    ("食品等営業許可・届出一覧", "食品衛生法に基づく営業許可施設の一覧", "健康・福祉"),
    ("支援制度情報", "市の補助金・助成制度の一覧", "子育て"),
    ("小中学校通学区域", "小中学校の通学区域", "教育・文化"),
    ("調達情報", "入札・契約に関する情報", "行政"),
)


def opendata_list_dataset(
    slug: str, published: list[DemoDataset], groups: dict[str, str]
) -> DemoDataset:
    """オープンデータ一覧 of one city, listing its published datasets plus planned ones."""
    muni = BY_SLUG[slug]
    entries: list[documents.ListEntry] = []
    for ds in published:
        formats = "・".join(dict.fromkeys(r.format for r in ds.resources))
        category = groups[ds.groups[0]] if ds.groups else ""
        first_line = ds.notes.splitlines()[0]
        entries.append(
            (
                ds.title,
                first_line,
                category,
                formats,
                frequency_label(ds.frequency),
                ds.license_id,
                ds.name,
                "",
            )
        )
    for title, summary, category in PLANNED:
        entries.append((f"{muni.name} {title}", summary, category, "CSV", "", "", "", "公開準備中"))
    # The list is built from the other datasets, so it is bound to them, not to the slug.
    return standard(
        muni,
        "opendata_list",
        csv(documents.opendata_list),
        args=(muni.code, muni.name, tuple(entries)),
    )
