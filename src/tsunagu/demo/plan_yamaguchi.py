"""The demo plan: 山口県官民データ活用推進計画 (令和2年度〜令和4年度), built from the plan's own text
as quoted in the project's reference (plans-kpi.md §1.3, §2.1, §4).

Every indicator row is quoted exactly: the 24 施策集 sheets that carry an indicator and the two
rows found only in the 柱-level tables (オープンデータ活用事例数, 行政手続等のオンライン利用率),
26 in all, with their 番号, 施策名, 所管課, 取組対象, 単位, 現状 and 目標 as the plan writes them
(「－」「増加」「約409,000件」「72.5%(法人二税の電子申告率)」, periods such as 「R2. 1月」 and
「H30年中」). The 工程表 holds what the reference quotes with its year (measure 1: R2〜R4, one
text across the years; 18: one step a year; 19: R4); other quoted steps whose years the
reference does not give are kept in the measure's 備考 rather than placed in a year.

Where the reference places a measure in the hierarchy (by the 柱-level table that lists its
indicator, or by its sub-number), it sits there; the others are listed without a heading.

The plan is loaded the way staff would load theirs: as a 施策集 workbook (merged 柱 cells, a
工程表 text merged across the years) through plan_import_preview / plan_import_apply.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook

from tsunagu.context import Context
from tsunagu.registry import call_action

PLAN_NAME = "yamaguchi-kanmin-data-plan"
TITLE = "山口県官民データ活用推進計画"
OWNER = "yamaguchi-pref"
LEVELS = ["基本目標", "施策の柱", "推進方策", "施策"]
PERIOD = (2020, 2022)
REVISIONS = [{"kind": "策定", "date": "2020-03-31", "date_label": "令和2年（2020年）3月"}]
EVALUATION = (
    "毎年度、総合企画部情報企画課が関係部署とともに各取組の推進状況・指標の達成度を取りまとめ、"
    "点検、分析・評価を行い、その結果をフィードバックする（計画 L540）。"
)
DESCRIPTION = (
    "官民データ活用推進基本法第9条に基づく山口県の計画。計画期間は令和2年度（2020年度）から"
    "令和4年度（2022年度）までの3年間。"
)
# The indicator the catalog counts itself (bound to the catalog's dataset metric).
OPEN_DATA_INDICATOR = "県・市町のオープンデータ数"

PILLARS = {
    "I": "I 官民データの利活用の促進",
    "II": "II 県民等の利便性の向上",
    "III": "III 行政事務の効率化",
}
STRATEGIES = {
    "I/1": "1 オープンデータの推進",
    "I/2": "2 官民データ流通のための情報基盤整備",
    "I/3": "3 未来技術の利活用",
    "II/1": "1 行政手続き等のオンライン化",
    "II/2": "2 マイナンバーカードの普及・活用",
    "III/1": "1 情報システムの標準化、デジタル化、業務の見直し",
}
NONE = "－"  # a hierarchy cell that says "no heading here"


@dataclass(frozen=True)
class Row:
    """One row of the 施策集 table."""

    pillar: str  # PILLARS key, NONE, or "" (the heading above continues)
    strategy: str  # STRATEGIES key, NONE or ""
    number: str
    name: str
    department: str
    indicator: str
    scope: str
    unit: str
    baseline: str  # 現状 with its period, as the plan writes it
    target: str  # 目標 with its 目標年度
    categories: str = ""
    stages: tuple[str, str, str] = ("", "", "")  # R2年度, R3年度, R4年度
    note: str = ""


ROWS: tuple[Row, ...] = (
    Row("I", "I/1", "", "", "", "オープンデータ活用事例数", "県", "件",
        "-件 (2019 (令元))", "5件 (2022 (令4))"),
    Row("", "", "1", "オープンデータの推進", "情報企画課", "県・市町のオープンデータ数",
        "県・市町", "", "140 (R元年度)", "560 (R4年度)", "オープンデータの推進",
        ("行政データのニーズ調査・利活用検討", "", "")),
    Row("", "", "1-2", "交通事故統計情報のオープンデータ化", "警察本部交通部交通企画課",
        "人身交通事故件数", "", "件", "4010件 (H30年中)", "減少 (R4年度)",
        "オープンデータの推進"),
    Row("", "", "1-3", "犯罪発生情報のオープンデータ化の推進",
        "警察本部生活安全部生活安全企画課", "公開する犯罪発生情報", "", "",
        "窃盗罪(7手口) (R元年度)", "警察庁統一基準に則る (R4年度)", "オープンデータの推進"),
    Row("", "I/2", "", "", "", "", "", "", "", ""),
    Row("", "I/3", "", "", "", "", "", "", "", ""),
    Row("", NONE, "3", "携帯電話等エリア整備事業", "情報企画課", "携帯電話不感地区数",
        "県・市町", "地区", "62地区 (R元年中)", "40地区 (R4年度)"),
    Row("", "", "5", "5Gの早期実現に向けた取組", "情報企画課(産業戦略部)", "5G基盤展開率",
        "県", "%", "- (R元年度)", "60% (R4年度)"),
    Row("", "", "6", "地域産業IoT等導入促進プロジェクト", "産業戦略部",
        "先導的プロジェクトによるIoT等導入件数", "県", "件", "- (R元年度)", "15 (R4年度)"),
    Row("", "", "7", "教育ICT推進事業", "教育政策課",
        "普通教室の大型提示装置整備率(公立高等学校)", "県", "%", "5.2% (R元年度)",
        "100% (R4年度)"),
    Row("", "", "8", "中小企業スマートビジネス推進事業", "経営金融課", "中小企業のIoT導入率",
        "県", "%", "10.1% (H30年度)", "22.0% (R4年度)"),
    Row("II", "II/1", "", "", "", "行政手続等のオンライン利用率(注)", "県・市町", "%",
        "53.7% (2017 (平 29))", "70%"),
    Row("", "", "13", "申請・届出等手続のオンライン化の推進(電子申請システム)", "情報企画課",
        "山口県電子申請サービス利用可能手続数", "県", "手続", "80手続 (H30年度)",
        "120手続 (R4年度)", "オンライン化原則",
        note="工程: オンライン化可能な手続の洗い出し → オンライン申請可能な手続の拡大"),
    Row("", "", "13-2", "eLTAXの推進", "税務課", "電子手続き利用率", "", "%",
        "72.5%(法人二税の電子申告率) (H30年度)", "増加 (R4年度)", "オンライン化原則"),
    Row("", "", "13-3", "施設予約システム", "情報企画課", "共同利用に参加する県内市町数", "",
        "", "7 (R元年度)", "維持・増加 (R4年度)", "オンライン化原則",
        note="工程: システム機能の要望調査"),
    Row("", "", "13-4", "自動車保有関係手続ワンストップサービス", "警察本部交通部交通規制課",
        "利用者の拡大", "", "", "－ (R元年度)", "推進 (R4年度)", "オンライン化原則"),
    Row("", "II/2", "14", "マイナンバーカードの普及促進", "情報企画課・市町課",
        "マイナンバーカード交付率", "県・市町", "%", "14.8% (R2. 1月)", "94.1% (R4年度)",
        "マイナンバーカード"),
    Row("", "", "15", "コンビニ交付サービスの導入促進", "情報企画課・市町課",
        "コンビニ交付サービス導入市町数", "県・市町", "市町", "13 (R2. 2月)", "19 (R4年度)",
        "マイナンバーカード"),
    Row("III", "III/1", "17", "デジタル技術を活用した効率化・生産性向上の推進",
        "人事課・情報企画課", "県・市町におけるRPA導入事務数", "県・市町", "", "— (R元年度)",
        "30 (R4年度)", "標準化・BPR"),
    Row("", "", "18", "学校における働き方改革環境整備事業", "教職員課",
        "統合型校務支援システムの導入校数(県立学校)", "県", "校", "9校 (R元年度)",
        "42校 (R4年度)", "標準化・BPR",
        ("11校導入(累計20校)", "12校導入(累計33校)", "9校導入(累計42校)")),
    Row("", "", "21", "サーバ仮想化基盤システム(統合サーバ)", "情報企画課",
        "統合サーバで共同利用されたシステム数(累計)", "県", "システム", "34システム (R元年度)",
        "38システム (R4年度)", "標準化・BPR",
        note="工程: 1システムを統合化 … 3システムを統合化"),
    Row(NONE, NONE, "4", "ウェブアクセシビリティ確保", "広報広聴課",
        "(今後…試験の結果等を踏まえ、別途検討)", "", "", "JISのレベルA一部準拠 (H29年度)",
        "別途検討 (R4年度)"),
    Row("", "", "9", "次代を切り拓くスマート農林漁業研究開発事業", "農林水産政策課",
        "生産性向上に関する研究成果件数(累計)", "", "件", "2件 (R元年度)", "6件 (R3年度)",
        note="工程: 研究 → 実用化と現場展開"),
    Row("", "", "10", "スマート農業実装加速化事業", "農業振興課", "スマート農業技術導入経営体数",
        "", "", "24 (R元年度)", "53 (R3年度)", note="工程: モデル経営体設置 → 地域への波及"),
    Row("", "", "11", "畜産経営スマート化促進事業", "畜産振興課",
        "先進機器導入戸数（※肉用牛繁殖経営における繁殖関係機器の導入戸数）", "", "戸",
        "42戸 (H30)", "76戸 (R4年度)"),
    Row("", "", "12", "航空レーザ活用木材供給力強化事業", "森林企画課", "県産木材供給量", "",
        "万m³/年", "29.1万m³/年 (R元年度)", "30.0万m³/年 (R4年度)"),
    Row("", "", "19", "交通規制情報の集約・提供の高度化", "警察本部交通部交通規制課",
        "交通の円滑化、交通規制情報を活用した自動運転の実現", "", "", "ー (R元年度)",
        "推進 (R4年度)", stages=("", "", "交通規制情報 標準フォーマットデータ公表")),
    Row("", "", "23", "教育用ネットワークシステム機器更新", "教職員課",
        "やまぐち総合教育支援サイト(教育用ネットワークシステム利用)へのアクセス数", "", "件",
        "約409,000件 (H30)", "増加させる (R4年度)"),
)  # fmt: skip

# The (注) under the 柱 II table, as the plan defines the online-use rate.
DEFINITIONS = {
    "行政手続等のオンライン利用率(注)": (
        "年間総手続件数のうちオンライン利用件数の割合。対象は電子自治体オンライン利用促進指針の"
        "対象手続（計画 L894）"
    ),
}

HEADER = [
    "施策の柱",
    "推進方策",
    "番号",
    "施策名",
    "所管課",
    "指標",
    "取組対象",
    "単位",
    "現状",
    "目標",
    "官民データ",
    "R2年度",
    "R3年度",
    "R4年度",
    "備考",
]


def indicator_rows() -> list[Row]:
    return [r for r in ROWS if r.indicator]


def _cells(row: Row) -> list[str]:
    pillar = PILLARS.get(row.pillar, row.pillar)
    strategy = STRATEGIES.get(row.strategy, row.strategy)
    return [
        pillar,
        strategy,
        row.number,
        row.name,
        row.department,
        row.indicator,
        row.scope,
        row.unit,
        row.baseline,
        row.target,
        row.categories,
        *row.stages,
        row.note,
    ]


def table_rows() -> list[list[str]]:
    """The 施策集 as rows of text (header first), every cell written out."""
    return [HEADER] + [_cells(r) for r in ROWS]


def workbook() -> bytes:
    """The 施策集 as staff keep it in Excel: a title row, each 柱 cell merged down over its rows,
    and measure 1's 工程表 text merged across R2〜R4."""
    book = Workbook()
    sheet = book.active
    sheet.title = "施策集"
    sheet.append([f"{TITLE} 施策集（個別施策一覧）"])
    sheet.append(HEADER)
    first_data = 3
    pillar_column = HEADER.index("施策の柱") + 1
    r2 = HEADER.index("R2年度") + 1
    spans: list[tuple[int, int]] = []
    for offset, row in enumerate(ROWS):
        line = first_data + offset
        sheet.append(_cells(row))
        if row.pillar:
            spans.append((line, line))
        elif spans:
            spans[-1] = (spans[-1][0], line)
        if row.stages[0] and not any(row.stages[1:]) and row.number == "1":
            sheet.merge_cells(start_row=line, start_column=r2, end_row=line, end_column=r2 + 2)
    for start, end in spans:
        if end > start:
            sheet.merge_cells(
                start_row=start, start_column=pillar_column, end_row=end, end_column=pillar_column
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text() -> str:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(table_rows())
    return out.getvalue()


@dataclass
class _Upload:
    filename: str
    file: io.BytesIO


def load(context: Context) -> str:
    """Make the demo plan through the actions, as staff would: create it, import the 施策集
    workbook, add the (注) definition, bind 県・市町のオープンデータ数 to the catalog's count of
    public datasets (prefecture and municipalities together), and publish it."""
    call_action(
        "plan_create",
        context,
        {
            "name": PLAN_NAME,
            "title": TITLE,
            "owner_org": OWNER,
            "period_start": PERIOD[0],
            "period_end": PERIOD[1],
            "level_names": LEVELS,
            "revisions": REVISIONS,
            "description": DESCRIPTION,
            "evaluation": EVALUATION,
        },
    )
    preview = call_action(
        "plan_import_preview",
        context,
        {"plan_id": PLAN_NAME, "upload": _Upload("施策集.xlsx", io.BytesIO(workbook()))},
    )
    call_action("plan_import_apply", context, {"id": preview["id"]})
    plan = call_action("plan_show", context, {"id": PLAN_NAME, "include_values": False})
    everything = [i for n in plan["nodes"] for i in n["indicators"]]
    everything += [i for m in plan["measures"] for i in m["indicators"]]
    for indicator in everything:
        changes: dict[str, object] = {}
        if indicator["name"] in DEFINITIONS:
            changes["definition"] = DEFINITIONS[indicator["name"]]
        if indicator["name"] == OPEN_DATA_INDICATOR:
            changes.update(metric_key="datasets_public", metric_params={"kind": "all"})
        if changes:
            call_action("plan_indicator_patch", context, {"id": indicator["id"], **changes})
    call_action("plan_patch", context, {"id": PLAN_NAME, "published": True})
    return f"計画 1（施策 {plan['num_measures']}、指標 {plan['num_indicators']}）"
