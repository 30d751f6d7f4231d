"""What auto-fix did: one Change per kind of change, counted over the whole file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_EXAMPLES = 5

# Every kind, in the order reports list them (file-level first, then cell by cell), with the
# sentence staff read. The order is stable so two runs of the same file report the same way.
DESCRIPTIONS: dict[str, str] = {
    "format": "表計算ソフトの表を CSV に変えました",
    "encoding": "文字コードを UTF-8 に変えました",
    "title_rows_dropped": "表の上にあった題名や単位の行を取り除きました（内容は説明用に残しました）",
    "notes_dropped": "表の下にあった注記（※ など）の行を取り除きました（内容は説明用に残しました）",
    "layout": "表の形を整えました",
    "column_renamed": (
        "列名を標準データセットの項目名に合わせました（列の順番は元のファイルのままです）"
    ),
    "column_name_cleaned": "列名の全角英数字・機種依存文字・余分な空白を直しました",
    "whitespace": "値の前後の空白や改行、制御文字を取り除きました",
    "platform_dependent_char": (
        "機種依存文字を通常の文字に置き換えました（① → (1)、㈱ → (株)、㍻ → 平成 など）"
    ),
    "halfwidth_katakana": "半角カタカナを全角カタカナにしました",
    "fullwidth": "全角の英数字を半角にしました",
    "wareki_date": "和暦の日付を西暦（ISO 8601、例: 2020-04-01）に直しました",
    "date_format": "日付・日時・時刻の書き方を ISO 8601（例: 2020-04-01、09:30）にそろえました",
    "number_format": (
        "数値から桁区切りのカンマや全角数字を取り除き、△・▲ の負の数を「-」にしました"
    ),
    "unit_removed": "数値の列の値から単位を取り除きました（単位は説明用に残しました）",
    "code_format": "電話番号・郵便番号・コードの数字とハイフンを半角にそろえました",
    "placeholder": "値がないことを表す「－」「…」「不明」などを空欄にしました",
    "formula_neutralised": (
        "表計算ソフトが数式として実行しないよう、「=」などで始まる値の先頭に「'」を付けました"
    ),
    "unconvertible": (
        "列の種類に合わせて変換できなかった値は、そのまま残しました。"
        "元のファイルを確かめて直してください"
    ),
}
KINDS: tuple[str, ...] = tuple(DESCRIPTIONS)


@dataclass
class Change:
    """One kind of change, counted over the whole file."""

    kind: str
    description: str  # plain Japanese
    count: int
    # Up to MAX_EXAMPLES: {"row": source line, "column": output column, "before", "after"}.
    examples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class AutofixResult:
    rows: int
    columns: list[str]  # output header
    renamed: dict[str, str]  # file column → standard field name
    changes: list[Change]  # only kinds that happened, in KINDS order
    notes: list[str]  # text dropped from above/below the table, kept for the description
    standard_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def change(self, kind: str) -> Change | None:
        return next((c for c in self.changes if c.kind == kind), None)


class ChangeLog:
    """Counts changes by kind while rows stream, keeping the first few examples of each."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._examples: dict[str, list[dict[str, Any]]] = {}
        self._descriptions: dict[str, str] = {}

    def add(
        self,
        kind: str,
        *,
        row: int | None = None,
        column: str | None = None,
        before: str = "",
        after: str = "",
        count: int = 1,
    ) -> None:
        self._counts[kind] = self._counts.get(kind, 0) + count
        examples = self._examples.setdefault(kind, [])
        if row is not None and len(examples) < MAX_EXAMPLES:
            examples.append({"row": row, "column": column, "before": before, "after": after})

    def describe(self, kind: str, description: str) -> None:
        """Replace the generic sentence of `kind` with a more precise one."""
        self._descriptions[kind] = description

    def changes(self) -> list[Change]:
        return [
            Change(
                kind=kind,
                description=self._descriptions.get(kind, DESCRIPTIONS[kind]),
                count=self._counts[kind],
                examples=self._examples.get(kind, []),
            )
            for kind in KINDS
            if self._counts.get(kind)
        ]
