"""Every validation rule: its id (part of the API), severity and plain-Japanese wording.

Severity: error = the file cannot be used by machines or breaks the standard; warning = should
be fixed; info = advice. Messages are templates over {row} (source line), {column} (the column
name as written), {value} (the cell, shortened) and {detail} (what the rule computed, e.g. the
ISO date), so a finding is only formatted when the report lists it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsunagu.quality.findings import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    message: str
    fix: str


_WHERE = "{row} 行目の「{column}」"

_RULES = (
    # --- the file ------------------------------------------------------------------------------
    Rule("file.unreadable", "error", "ファイルを表として読めませんでした: {detail}",
         "CSV（UTF-8）か Excel で保存し直して、もう一度登録してください。"),
    Rule("file.encoding", "warning", "文字コードが {detail} です（UTF-8 ではありません）。",
         "Excel の「名前を付けて保存」で「CSV UTF-8（コンマ区切り）」を選んで保存し直してください。"),
    Rule("file.mojibake", "error", _WHERE + "が文字化けしています（{value}）。",
         "元のデータから正しい文字を入力し直してください。文字コードを変えて保存したときに"
         "起きることが多いので、UTF-8 で保存し直してください。"),
    Rule("file.not_csv", "info", "{detail} 形式のファイルです。",
         "表のデータは CSV（UTF-8）でも公開すると、多くのシステムでそのまま使えます。"),
    Rule("file.format_mismatch", "warning", "{detail}",
         "登録する形式（拡張子）をファイルの中身に合わせてください。"),
    # --- layout --------------------------------------------------------------------------------
    Rule("layout.title_row", "warning", "{row} 行目に表題などの行があります（{value}）。",
         "1 行目を列名の行にして、表題や作成日は削除するか、データの説明欄に書いてください。"),
    Rule("layout.unit_row", "warning", "{row} 行目（列名のすぐ下）に単位の行があります（{value}）。",
         "単位の行を削除し、単位は列名に含めてください（例: 「人口（人）」）。"),
    Rule("layout.multi_row_header", "error", "列名が {detail} 行目の複数の行に分かれています。",
         "列名は 1 行にまとめてください（例: 「人口」と「男」を「人口_男」に）。"),
    Rule("layout.merged_cells", "error", "{row} 行目の「{column}」にセルの結合があります（{detail}）。",
         "セルの結合を解除し、1 つのセルに 1 つの値を入れてください。"),
    Rule("layout.notes_below", "warning", "表の下に注記があります（{value}）。",
         "注記や出典は表から削除し、データの説明欄に書いてください。"),
    Rule("layout.empty_column_name", "error", "{detail} 列目の列名が空です。",
         "列の 1 行目に、内容が分かる列名を入力してください。"),
    Rule("layout.duplicate_column_name", "error", "列名「{column}」が複数あります。",
         "列名はそれぞれ別の名前にしてください（例: 「{column}_1」「{column}_2」）。"),
    Rule("layout.ragged_row", "error", "{row} 行目の列の数（{detail}）が列名の行と違います。",
         "余分な区切り（,）を削除するか、足りない列を補って、すべての行の列数をそろえてください。"),
    Rule("layout.blank_row", "warning", "{row} 行目が空の行です。",
         "表の途中の空の行を削除してください。"),
    # --- cells ---------------------------------------------------------------------------------
    Rule("cells.platform_dependent", "error", _WHERE + "に機種依存文字（{detail}）があります。",
         "ほかのパソコンで表示できない文字です。「①」は「(1)」、「㈱」は「(株)」のように"
         "普通の文字で書き換えてください。"),
    Rule("cells.wareki", "error", _WHERE + "が和暦（{value}）です。",
         "西暦の {detail} の形で入力してください。"),
    Rule("cells.date_format", "warning", _WHERE + "の日付（{value}）が決められた書き方ではありません。",
         "「{detail}」のように、年-月-日 を半角のハイフンでつなぎ、月と日は 2 桁で入力してください。"),
    Rule("cells.fullwidth", "warning", _WHERE + "に全角の英数字があります（{value}）。",
         "英字と数字は半角で入力してください（{detail}）。"),
    Rule("cells.halfwidth_kana", "warning", _WHERE + "に半角カタカナがあります（{value}）。",
         "カタカナは全角で入力してください。"),
    Rule("cells.number_format", "error", _WHERE + "が数値だけになっていません（{value}）。",
         "{detail}"),
    Rule("cells.placeholder", "warning", _WHERE + "に「{value}」と入っています。",
         "値がないときは「－」や「不明」などを入れず、セルを空にしてください。"),
    Rule("cells.multiple_values", "warning", _WHERE + "に改行があります（{value}）。",
         "1 つのセルには 1 つの値だけを入れてください。複数の値は列を分けてください。"),
    Rule("cells.spaces", "warning", _WHERE + "の前後に空白があります（「{value}」）。",
         "値の前後の空白（全角の空白も）を削除してください。"),
    Rule("cells.control_char", "error", _WHERE + "に見えない制御文字があります（{detail}）。",
         "制御文字を削除してください。ほかのシステムから貼り付けたときに入ることがあります。"),
    Rule("cells.formula", "warning", _WHERE + "が「{detail}」で始まっています（{value}）。",
         "Excel で開くと数式として実行されるおそれがあります。先頭の記号を削除するか、"
         "別の書き方にしてください。"),
    Rule("cells.too_long", "warning", _WHERE + "が {detail} 文字と長すぎます。",
         "長い説明は別の資料にし、セルには要点だけを入れてください。"),
    # --- schema (a standard dataset applies) ---------------------------------------------------
    Rule("schema.missing_required_column", "error", "必須の列「{column}」がありません。",
         "「{column}」という名前の列を追加して、値を入力してください。"),
    Rule("schema.missing_column", "warning", "列「{column}」がありません。",
         "値がなくても、「{column}」という名前の列を追加して空欄のままにしてください。"),
    Rule("schema.misnamed_column", "error", "列名「{column}」は標準の列名と少し違います。",
         "列名を「{detail}」に変えてください（記号や全角・半角も含めて同じにしてください）。"),
    Rule("schema.extra_column", "info", "列「{column}」は標準データセットにない列です。",
         "そのままでも構いません。標準の列と同じ内容なら、標準の列名に変えてください。"),
    Rule("schema.column_order", "info", "列の並びが標準データセットと違います（{detail}）。",
         "できれば標準データセットの順に並べ替えてください。"),
    Rule("schema.required_value", "error", _WHERE + "は必須ですが、値がありません{detail}。",
         "「{column}」に値を入力してください。"),
    Rule("schema.type", "error", _WHERE + "の値（{value}）が{detail}になっていません。",
         "{detail}で入力してください。"),
    Rule("schema.pattern", "error", _WHERE + "の値（{value}）の書き方が決まりと違います。",
         "{detail}"),
    Rule("schema.enum", "error", _WHERE + "の値（{value}）は使えない値です。",
         "{detail}（当てはまらないときは空欄にしてください）。"),
    # --- 全国地方公共団体コード ----------------------------------------------------------------
    Rule("codes.format", "error", _WHERE + "（{value}）が 6 桁の全国地方公共団体コードではありません。",
         "{detail}"),
    Rule("codes.check_digit", "error", _WHERE + "（{value}）の最後の桁（チェックディジット）が違います。",
         "{detail}"),
    Rule("codes.other_municipality", "warning",
         _WHERE + "（{value}）は、公開する団体（{detail}）とは別の団体のコードです。",
         "自分の団体の全国地方公共団体コードか確かめて、間違いなら直してください。"),
    # --- coordinates ---------------------------------------------------------------------------
    Rule("geo.format", "error", _WHERE + "（{value}）が 10 進数の数値ではありません。",
         "緯度・経度は「35.6812」のような 10 進数（度）で入力してください（度分秒は使えません）。"),
    Rule("geo.outside_japan", "error", "{row} 行目の位置（緯度 {detail}）が日本の外です。",
         "緯度と経度の値を確かめてください（日本では緯度はおよそ 20〜46、経度は 122〜154 です）。"),
    Rule("geo.outside_area", "warning", "{row} 行目の位置（緯度 {detail}）が団体の区域の外です。",
         "緯度と経度の値が正しいか、地図で確かめてください。"),
    Rule("geo.swapped", "error", "{row} 行目の緯度と経度が入れ替わっているようです（緯度 {detail}）。",
         "「緯度」の列に南北の値（日本ではおよそ 20〜46）、「経度」の列に東西の値"
         "（およそ 122〜154）を入れてください。"),
    # --- rows ----------------------------------------------------------------------------------
    Rule("rows.duplicate", "warning", "{row} 行目は {detail} 行目とまったく同じ内容です。",
         "重複している行を削除してください。"),
    Rule("rows.duplicate_id", "error", _WHERE + "（{value}）が {detail} 行目と同じです。",
         "「{column}」は行ごとに違う値にしてください。"),
)  # fmt: skip

RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}
