"""Rule ids, their severities and the plain-Japanese wording of every finding.

Each rule has one severity (a report keys severity by rule), so the softer cases get rules of
their own: a facility's own mobile number is `pii.facility_mobile_phone` (warning), not a
warning-level `pii.mobile_phone`.
"""

from __future__ import annotations

from tsunagu.quality.findings import Finding, Severity

RULES: dict[str, Severity] = {
    "pii.my_number": "error",
    "pii.my_number_suspect": "warning",
    "pii.mobile_phone": "error",
    "pii.facility_mobile_phone": "warning",
    "pii.personal_phone": "error",
    "pii.email": "error",
    "pii.facility_personal_email": "warning",
    "pii.birth_date_with_name": "error",
    "pii.birth_date": "warning",
    "pii.person_column": "error",
    "pii.not_scanned": "info",
}

OVERRIDE = (
    "意図して公開する場合は、組織の管理者に公開する理由を書いて、公開の許可を依頼してください。"
)


def _remove(column: str) -> str:
    return f"列「{column}」を削除するか、該当する値を消してから登録し直してください。"


def fix_for(rule: str, column: str) -> str:
    if rule == "pii.my_number":
        return (
            f"個人番号は番号法で提供が厳しく制限されており、公開できません。{_remove(column)}"
            "個人番号ではない番号の場合に限り、組織の管理者に理由を書いて公開の許可を依頼してください。"
        )
    if rule == "pii.my_number_suspect":
        return (
            f"個人番号であれば{_remove(column)}"
            "別の番号であれば、列名を内容に合ったものに変えてください。"
        )
    if rule == "pii.facility_mobile_phone":
        return (
            "担当者個人の携帯電話でないか確認してください。施設の代表番号があれば、そちらに"
            "替えてください。施設の番号として公開しているものなら、このままで構いません。"
        )
    if rule == "pii.facility_personal_email":
        return (
            "担当者個人のアドレスでないか確認してください。組織のアドレスがあれば、そちらに"
            "替えてください。施設の窓口として公開しているものなら、このままで構いません。"
        )
    if rule == "pii.birth_date":
        return (
            "他の列と組み合わせると個人が特定されるおそれがあります。年代などにまとめるか、"
            f"{_remove(column)}"
        )
    return _remove(column) + OVERRIDE


def make_finding(
    rule: str, what: str, *, line: int, column: str, value: str | None, sheet: str | None
) -> Finding:
    where = f"シート「{sheet}」、" if sheet else ""
    return Finding(
        rule=rule,
        severity=RULES[rule],
        message=f"{where}{line} 行目、列「{column}」: {what}",
        fix=fix_for(rule, column),
        row=line,
        column=column,
        value=value,
    )


def not_scanned(reason: str, sheet: str | None = None) -> Finding:
    where = f"シート「{sheet}」を" if sheet else "このファイルを"
    return Finding(
        rule="pii.not_scanned",
        severity="info",
        message=f"{where}表として読めないため、個人情報が含まれていないか確認できませんでした（{reason}）",
        fix="公開する前に、個人情報（氏名、電話番号、メールアドレスなど）が含まれていないか、"
        "ファイルを開いて確認してください。",
    )
