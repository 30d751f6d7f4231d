"""What each column holds, decided once per table from its name and a sample of its values.

The scan then only asks, per cell, the questions its column makes worth asking. Column names
are the first clue (氏名, 生年月日, 自宅電話 …); values decide whether a 名前 column names people
or parks, whether a 12-digit column is 個人番号 or an ID whose check digits do not fit, and
whether an unnamed column is full of 「山田 太郎」.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from tsunagu.datastore.ingest.values import parse_date, to_halfwidth
from tsunagu.quality.pii.mynumber import is_valid_my_number, twelve_digit_runs
from tsunagu.quality.pii.names import clearly_person, looks_like_person
from tsunagu.quality.pii.text import cell_text, fold
from tsunagu.quality.standards import match_column

if TYPE_CHECKING:
    from tsunagu.quality.standards import Standard

NameKind = Literal["person", "operator"]
AddressKind = Literal["honseki", "personal", "operator", "facility", "plain"]
ContactOwner = Literal["personal", "operator", "facility", "unknown"]

SAMPLE_ROWS = 200

_PERSON_WORDS = ("氏名", "フルネーム", "姓名", "fullname", "お名前")
_PERSON_EXACT = frozenset({"姓", "名字", "苗字", "せい"})
# 名前 and name also name parks, events and products: the values must show people.
_WEAK_PERSON_WORDS = ("名前", "なまえ", "name")
_WEAK_PERSON_EXACT = frozenset({"名", "めい"})
# Roles that name the business behind a facility: a 法人's name, or its representative, is
# business data; the same column holding a sole trader's own name is personal data.
_OPERATOR_ROLES = (
    "代表者", "営業者", "申請者", "届出者", "開設者", "設置者", "所有者", "経営者", "事業者",
    "運営者", "管理者", "院長", "園長", "施設長",
)  # fmt: skip
_PERSON_ROLES = (
    "担当者", "責任者", "保護者", "世帯主", "契約者", "相談者", "利用者", "受給者", "患者", "児童",
    "生徒", "会員", "参加者", "受講者", "応募者", "当選者", "被保険者", "納税者", "通報者",
    "発見者", "連絡者", "入所者", "居住者", "本人", "家族", "職員", "教員", "医師", "講師",
)  # fmt: skip
# Words that make a column about something other than a name, even beside a role word:
# 利用者数, 代表者役職, 申請者住所, 担当者電話 …
_NOT_A_NAME = (
    "数", "率", "割合", "件", "番号", "コード", "id", "no", "電話", "tel", "fax", "携帯", "住所",
    "所在", "メール", "mail", "日", "年", "月", "時", "齢", "性別", "役職", "区分", "種別",
    "有無", "フラグ", "職名", "資格", "url", "連絡先", "所属", "部署",
)  # fmt: skip
_FACILITY_WORDS = (
    "名称", "施設", "事業所", "店舗", "店名", "屋号", "商号", "機関名", "場所", "避難", "園名",
    "校名", "病院", "医院", "薬局", "建物", "スポット", "設置場所", "営業所",
)  # fmt: skip
_ORGANISATION_WORDS = (
    "法人名", "法人の名称", "法人名称", "法人番号", "団体名", "会社名", "運営法人", "設置団体",
)  # fmt: skip
_KANA_WORDS = ("フリガナ", "ふりがな", "カナ", "かな", "よみ", "ヨミ", "読み")
_BIRTH_WORDS = ("生年月日", "誕生日", "生年", "誕生", "birth", "dob")
_ADDRESS_WORDS = ("住所", "所在地", "居所", "番地", "address")
_PERSONAL_PLACE_WORDS = ("自宅", "現住所", "居所", "住民票", "実家")
_GENDER_WORDS = ("性別", "男女", "sex", "gender")
_AGE_EXCLUDED = ("受入", "対象", "利用", "入所", "入園", "平均", "区分", "年齢別", "年齢層")
_PHONE_WORDS = ("電話", "tel", "fax", "ファックス", "ファクス", "携帯", "phone", "連絡先")
_EMAIL_WORDS = ("メール", "mail", "アドレス")
_PERSONAL_CONTACT_WORDS = ("自宅", "携帯", "個人", "保護者", "緊急", "本人", "家族", "私用", "プライベート")  # fmt: skip
_CODE_WORDS = ("番号", "コード", "code", "id", "no")
_MY_NUMBER_WORDS = ("個人番号", "マイナンバー", "mynumber", "my_number")
# Dates that are not birthdays even when old (開設年月日 1965).
_EVENT_DATE_WORDS = (
    "許可", "登録", "更新", "開始", "終了", "受付", "申請", "設置", "開設", "認可", "作成", "公開",
    "期限", "指定", "竣工", "建築", "設立", "創立", "開園", "開館", "年度", "届出", "廃止", "変更",
)  # fmt: skip


@dataclass
class ColumnPlan:
    index: int
    name: str
    name_kind: NameKind | None = None
    strict_names: bool = False  # found by its values alone: only clear "姓 名" values count
    weak_name: bool = False  # named 名前/name: only a column that shows people counts
    kana: bool = False
    organisation: bool = False  # 法人名, 法人番号 …: a value there makes the row a 法人's
    facility_name: bool = False
    birth: bool = False
    address: AddressKind | None = None
    gender: bool = False
    age: bool = False
    contact: bool = False  # a phone, fax, mail or 連絡先 column
    contact_owner: ContactOwner = "unknown"
    facility_contact: bool = False
    my_number_header: bool = False
    my_number_off: bool = False  # an ID column: its 12-digit values mostly fail the check
    code_column: bool = False  # 番号/コード/ID: bare 10-digit codes here are not phone numbers
    standard_field: bool = False


@dataclass
class TablePlan:
    columns: list[ColumnPlan]
    facility_table: bool
    names: list[ColumnPlan] = field(default_factory=list)
    organisations: list[ColumnPlan] = field(default_factory=list)
    operators: list[ColumnPlan] = field(default_factory=list)
    births: list[ColumnPlan] = field(default_factory=list)
    addresses: list[ColumnPlan] = field(default_factory=list)
    gender: ColumnPlan | None = None
    age: ColumnPlan | None = None


def header_key(name: str) -> str:
    return to_halfwidth(name).lower().replace(" ", "").replace("_", "").replace("・", "")


def _has(key: str, words: Sequence[str]) -> bool:
    return any(w in key for w in words)


def _from_header(index: int, name: str, standard: Standard | None) -> ColumnPlan:
    field_name = match_column(name, standard) if standard is not None else None
    # A column the standard defines is read as the standard means it (TEL → 電話番号).
    key = header_key(field_name or name)
    plan = ColumnPlan(index, name, standard_field=field_name is not None)
    plan.kana = _has(key, _KANA_WORDS)
    plan.organisation = _has(key, _ORGANISATION_WORDS)
    plan.facility_name = not plan.organisation and _has(key, _FACILITY_WORDS)
    plan.my_number_header = _has(key, _MY_NUMBER_WORDS)
    plan.birth = _has(key, _BIRTH_WORDS)
    operator = _has(key, _OPERATOR_ROLES)
    person_role = _has(key, _PERSON_ROLES)
    if "本籍" in key:
        plan.address = "honseki"
    elif _has(key, _ADDRESS_WORDS) and not plan.organisation:
        if _has(key, _PERSONAL_PLACE_WORDS) or person_role:
            plan.address = "personal"
        elif plan.facility_name:
            plan.address = "facility"  # 営業施設所在地, 施設住所: where the facility is
        else:
            plan.address = "operator" if operator else "plain"
    plan.code_column = _has(key, _CODE_WORDS) and not _has(key, _PHONE_WORDS)
    plan.gender = _has(key, _GENDER_WORDS)
    plan.age = ("年齢" in key or key in ("歳", "age")) and not _has(key, _AGE_EXCLUDED)
    plan.contact = _has(key, _PHONE_WORDS) or (_has(key, _EMAIL_WORDS) and "住所" not in key)
    if plan.contact:
        if _has(key, _PERSONAL_CONTACT_WORDS) or person_role:
            plan.contact_owner = "personal"
        elif operator:
            plan.contact_owner = "operator"
    named = not (
        plan.organisation or plan.facility_name or plan.birth or plan.address or plan.contact
    ) and not _has(key, _NOT_A_NAME)
    if named:
        if operator:
            plan.name_kind = "operator"
        elif person_role or _has(key, _PERSON_WORDS) or key in _PERSON_EXACT:
            plan.name_kind = "person"
        elif _has(key, _WEAK_PERSON_WORDS) or key in _WEAK_PERSON_EXACT:
            plan.name_kind, plan.weak_name = "person", True
    return plan


def _texts(sample: Sequence[list[object]], index: int) -> list[str]:
    return [t for cells in sample if (t := cell_text(cells[index])) is not None]


def _share(values: list[str], test: Callable[[str], bool]) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _birth_like(values: list[str], today: dt.date) -> bool:
    """Dates spread over decades and all long past: the shape of a birthday column."""
    dates = []
    for value in values:
        try:
            day = parse_date(value)
        except ValueError:
            continue
        if day is not None:
            dates.append(day)
    if len(dates) < 5 or len(dates) < 0.8 * len(values):
        return False
    old = sum(1 for d in dates if (today - d).days > 15 * 365)
    return old >= 0.8 * len(dates) and (max(dates) - min(dates)).days > 10 * 365


def _id_column(values: list[str]) -> bool:
    """Many 12-digit values, most failing the 個人番号 check: an ID column, not 個人番号.

    One random 12-digit number in ten passes the check by chance; a real 個人番号 column
    passes every time.
    """
    runs = [run for v in values for run in twelve_digit_runs(fold(v))]
    if len(runs) < 5:
        return False
    return sum(1 for run in runs if is_valid_my_number(run)) < 0.5 * len(runs)


def _exact_ages(values: list[str]) -> bool:
    ages = [v for v in values if v.isdigit() and 0 <= int(v) <= 120]
    return bool(values) and len(ages) >= 0.8 * len(values)


def plan_table(
    columns: list[str],
    sample: Sequence[list[object]],
    standard: Standard | None = None,
    today: dt.date | None = None,
) -> TablePlan:
    today = today or dt.date.today()
    plans = [_from_header(i, name, standard) for i, name in enumerate(columns)]

    for plan in plans:
        values = _texts(sample, plan.index)
        if plan.name_kind == "person" and not plan.kana and values:
            if _share(values, looks_like_person) < (0.5 if plan.weak_name else 0.3) or (
                # A 名前 column of parks (北緑地, 桜並木) must show at least one clear name.
                plan.weak_name and not any(clearly_person(v) for v in values)
            ):
                plan.name_kind = None
        elif (
            plan.name_kind is None
            and _is_plain(plan)
            and len(values) >= 3
            and _share(values, lambda v: looks_like_person(v, strict=True)) >= 0.6
        ):
            plan.name_kind, plan.strict_names = "person", True
        if plan.age and not _exact_ages(values):
            plan.age = False
        if not plan.my_number_header and _id_column(values):
            plan.my_number_off = True

    has_people = any(p.name_kind == "person" for p in plans)
    for plan in plans:
        # A bare フリガナ column reads the name beside it: a person's if the table has one.
        if plan.kana and plan.name_kind is None and has_people and _is_plain(plan):
            plan.name_kind = "person"
        if has_people and not plan.birth and _is_plain(plan) and not plan.name_kind:
            key = header_key(plan.name)
            if not _has(key, _EVENT_DATE_WORDS):
                plan.birth = _birth_like(_texts(sample, plan.index), today)

    facility_table = standard is not None or (
        any(p.facility_name for p in plans) and not has_people
    )
    table = TablePlan(plans, facility_table)
    for plan in plans:
        if plan.contact:
            plan.facility_contact = plan.contact_owner not in ("personal", "operator") and (
                facility_table or plan.standard_field
            )
            if plan.facility_contact:
                plan.contact_owner = "facility"
        if plan.name_kind is not None:
            table.names.append(plan)
        if plan.name_kind == "operator":
            table.operators.append(plan)
        if plan.organisation:
            table.organisations.append(plan)
        if plan.birth:
            table.births.append(plan)
        if plan.address is not None:
            table.addresses.append(plan)
        if plan.gender and table.gender is None:
            table.gender = plan
        if plan.age and table.age is None:
            table.age = plan
    return table


def _is_plain(plan: ColumnPlan) -> bool:
    """No column-name clue at all about what the column holds."""
    return not (
        plan.organisation
        or plan.facility_name
        or plan.birth
        or plan.address
        or plan.contact
        or plan.gender
        or plan.age
        or plan.my_number_header
        or plan.name_kind
    )
