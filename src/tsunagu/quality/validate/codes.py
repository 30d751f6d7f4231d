"""全国地方公共団体コード columns: six digits with a valid check digit, of the publisher's area."""

from __future__ import annotations

from tsunagu.catalog.local_codes import check_digit, is_valid_local_gov_code
from tsunagu.datastore.ingest.values import to_halfwidth
from tsunagu.quality.validate.text import Issue

_CODE_NAMES = frozenset(
    {"市区町村コード", "団体コード", "地方公共団体コード", "自治体コード", "都道府県コード"}
)
_SIX_DIGITS = "半角数字 6 桁（例: 132012）で入力してください。"


def is_code_column(name: str) -> bool:
    return (
        "全国地方公共団体コード" in name or name in _CODE_NAMES or name.endswith("_市区町村コード")
    )


def same_area(publisher: str, code: str) -> bool:
    """Whether `code` may appear in the publisher's data: its own code, a municipality of the
    publishing prefecture, or a ward (区) of the publishing designated city (政令指定都市)."""
    if code == publisher:
        return True
    if publisher[2:5] == "000":
        return code[:2] == publisher[:2]
    if publisher[2] == "1" and publisher[4] == "0" and code[:2] == publisher[:2]:
        return 0 < int(code[:5]) - int(publisher[:5]) < 30
    return False


def code_issues(value: object, publisher: str | None) -> list[Issue]:
    """Problems of one code cell; [] when it is a valid code of the publisher's area."""
    lost_zero = False
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
        lost_zero = len(text) == 5 and is_valid_local_gov_code("0" + text)
    elif isinstance(value, str):
        text = to_halfwidth(value).strip()
    else:
        return [("codes.format", _SIX_DIGITS)]
    digits = text.isascii() and text.isdigit()
    if digits and len(text) == 6:
        if not is_valid_local_gov_code(text):
            right = text[:5] + check_digit(text[:5])
            return [
                ("codes.check_digit", f"最初の 5 桁が正しければ、正しいコードは {right} です。")
            ]
        if publisher and not same_area(publisher, text):
            return [("codes.other_municipality", publisher)]
        return []
    if lost_zero:
        detail = (
            f"先頭の 0 が消えています。セルの書式を「文字列」にして 0{text} と入力してください。"
        )
    elif digits and len(text) == 5:
        detail = f"最後の桁（チェックディジット）がありません。{text}{check_digit(text)} と入力してください。"
    else:
        detail = _SIX_DIGITS
    return [("codes.format", detail)]
