"""What in a table's rows is personal data, looked at a chunk of rows at a time.

A table is planned once from its header and a sample (columns.plan_table); each row then asks
two questions in order. Does the row describe a person (a name that is not a 法人's)? Then
what in the row is personal data: 個人番号 anywhere, mobile numbers, phone numbers and e-mail
addresses by column and row, birth dates, addresses down to 番地 and 本籍.

Speed: a big upload is scanned while staff wait. Rows are taken a few thousand at a time, and
the cells that could hold a number or an e-mail address worth a look are found for the whole
chunk at once, mostly in C (TableScan.chunk); a table without name, birth date or address
columns is then only looked at row by row where those cells are.

法人 and individuals (食品等営業許可 and similar registers): a legal-form marker (株式会社,
(株), 医療法人 …) or a filled 法人名/法人番号 column makes the row a business's, and then the
operator's and 代表者's names, address and phone are business data, published through the
commercial register anyway. The same columns holding a name without such a marker are a sole
trader's own name and block publishing: MHLW's nationwide open data of food business permits
fills 法人名/法人番号/法人住所 for companies only and leaves individuals' names out.

Facility data: in a table of facilities (a standard was given or is guessed from the columns,
or a 名称/施設名 column and no people), phone, fax and mail columns are the facility's contacts
and pass. A mobile number or a free-mail address there is only a warning: small facilities
(集会所, 子ども食堂) do publish a caretaker's mobile on purpose, but it is worth a second look.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from tsunagu.datastore.ingest.values import parse_date
from tsunagu.quality.findings import Report
from tsunagu.quality.pii.columns import ColumnPlan, TablePlan
from tsunagu.quality.pii.emails import find_emails, mask_email
from tsunagu.quality.pii.messages import make_finding
from tsunagu.quality.pii.mynumber import (
    MY_NUMBER_RE,
    is_valid_my_number,
    looks_like_timestamp,
    mask_my_number,
    twelve_digit_runs,
)
from tsunagu.quality.pii.names import (
    has_banchi,
    is_organisation,
    looks_like_person,
    mask_address,
    mask_name,
)
from tsunagu.quality.pii.phones import (
    MOBILE_HINT_RE,
    find_phones,
    mask_phone,
    phone_from_number,
)
from tsunagu.quality.pii.text import (
    AT_RE,
    CELL_SEP,
    LONG_DIGITS_RE,
    MIN_NUMBER_TEXT,
    cell_text,
    cells_at,
    cells_with_digits,
    fold,
)

Row = tuple[int, list[object]]


class TableScan:
    def __init__(self, plan: TablePlan, report: Report, sheet: str | None) -> None:
        self.plan = plan
        self.report = report
        self.sheet = sheet
        self.columns = plan.columns
        self.name_plans = plan.names
        # An address column reports only a value in its plan's case (honseki, a personal
        # address, one beside a person's name or beside gender and age); the others never do.
        self.addresses = [p for p in plan.addresses if self._address_can_report(p)]
        self.special = bool(plan.births or self.addresses)
        self.corporate_check = bool(plan.organisations or plan.operators)
        # Rows need a look one by one when a name, birth date or address column can report;
        # otherwise only the rows whose cells the column searches picked out (see chunk).
        self.every_row = bool(self.name_plans) or self.special
        # Per column: whether any number of ten digits there may be reported, and how many
        # digits a cell needs before it can hold anything reportable: ten for any phone
        # number, else eleven (a mobile number: 0 and ten more; a 個人番号: twelve).
        self.every_number = [self._other_phones_count(p) for p in self.columns]
        self.min_digits = [10 if every else 11 for every in self.every_number]
        # Per column: whether any e-mail address there may be reported (see _emails), or
        # only a free-mail or carrier one.
        self.every_email = [
            p.contact_owner == "personal" or bool(self.name_plans) for p in self.columns
        ]

    def _address_can_report(self, plan: ColumnPlan) -> bool:
        if plan.address in ("honseki", "personal"):
            return True
        if plan.address == "facility":
            return False
        # operator/plain: beside a person's name, or beside filled gender and age columns.
        return bool(self.name_plans) or (self.plan.gender is not None and self.plan.age is not None)

    def _other_phones_count(self, plan: ColumnPlan) -> bool:
        """Whether a non-mobile number in this column can ever be reported (see _phones):
        in a personal contact column, or in a row naming a person outside a facility's
        contacts. When not, only mobile numbers and 個人番号 matter there."""
        return plan.contact_owner == "personal" or (
            bool(self.name_plans) and not plan.facility_contact
        )

    def chunk(self, rows: Sequence[Row]) -> None:
        """Scan rows of the table's width, as row() one by one would, in the same order.

        The chunk's cells are joined and searched at once; only the cells the searches pick
        are looked at one by one, by row(). The searches pick every cell row() could report on
        (and a few more).
        """
        width = len(self.columns)
        if not width:
            return
        wanted: dict[int, list[int]] = {}
        for i in sorted(self._cells_to_check(rows)):
            row, column = divmod(i, width)
            wanted.setdefault(row, []).append(column)
        if self.every_row:
            for i, (line, cells) in enumerate(rows):
                self.row(line, cells, wanted.get(i, ()))
        else:
            for i, check in wanted.items():
                line, cells = rows[i]
                self.row(line, cells, check)

    def _cells_to_check(self, rows: Sequence[Row]) -> set[int]:
        """Indexes (row by row) of the cells row() must look at: numbers a spreadsheet stored
        as such, text with "@", and text with a long run of digits that may be reportable."""
        cells = list(itertools.chain.from_iterable(map(itemgetter(1), rows)))
        picked: set[int] = set()
        try:
            texts: list[str] = cells  # type: ignore[assignment]
            joined = CELL_SEP.join(texts)
        except TypeError:  # empty cells, or numbers and dates from a spreadsheet
            texts = ["" if c is None else c for c in cells]  # type: ignore[misc]
            try:
                joined = CELL_SEP.join(texts)
            except TypeError:
                texts = [c if isinstance(c, str) else "" for c in cells]
                joined = CELL_SEP.join(texts)
                picked = {
                    i
                    for i, c in enumerate(cells)
                    if type(c) is int and c >= 100_000_000  # see row()
                }
        if joined.count(CELL_SEP) != len(texts) - 1:
            return set(range(len(cells)))  # a NUL in a cell: every cell is looked at
        width = len(self.columns)
        if "@" in joined or "＠" in joined:
            for i in cells_at(joined, (m.start() for m in AT_RE.finditer(joined))):
                plan = self.columns[i % width]
                # Where only a free-mail or carrier address can be reported, the others
                # (an organisation's or a public body's) need no look.
                if self.every_email[plan.index] or any(
                    email.kind == "personal" for email in find_emails(fold(texts[i]))
                ):
                    picked.add(i)
        for i, digits in cells_with_digits(joined, min(self.min_digits)):
            plan = self.columns[i % width]
            text = texts[i]
            if digits < self.min_digits[plan.index] or len(text) < MIN_NUMBER_TEXT:
                continue
            if self.every_number[plan.index]:  # as row() itself tests
                if LONG_DIGITS_RE.search(text) is not None:
                    picked.add(i)
                continue
            # Only a mobile number or a 個人番号 can be reported here: a cell holding
            # neither needs no look (row() checks the long digits of the cells picked).
            folded = fold(text)
            if MOBILE_HINT_RE.search(folded) is not None or (
                not plan.my_number_off and MY_NUMBER_RE.search(folded) is not None
            ):
                picked.add(i)
        return picked

    def _add(
        self,
        rule: str,
        what: str,
        line: int,
        plan: ColumnPlan,
        mask: Callable[[str], str],
        raw: str,
    ) -> None:
        report = self.report
        count = report.counts.get(rule, 0)
        if count >= report.cap_per_rule:
            # Past the cap only the count matters: skip building the message and the mask.
            report.counts[rule] = count + 1
            return
        value = mask(raw)
        report.add(
            make_finding(rule, what, line=line, column=plan.name, value=value, sheet=self.sheet)
        )

    def _is_corporate(self, cells: list[object]) -> bool:
        for plan in self.plan.organisations:
            if cell_text(cells[plan.index]) is not None:
                return True
        for plan in self.plan.operators:
            text = cell_text(cells[plan.index])
            if text is not None and is_organisation(text):
                return True
        return False

    def row(self, line: int, cells: list[object], check: Iterable[int]) -> None:
        """One row's findings; `check`: the indexes of the cells that may hold a number or an
        e-mail address worth a look, ascending (see chunk)."""
        corporate = self.corporate_check and self._is_corporate(cells)
        person = False
        for plan in self.name_plans:
            text = cell_text(cells[plan.index])
            if text is None:
                continue
            if plan.name_kind == "operator":
                if corporate or is_organisation(text):
                    continue
                if looks_like_person(text):
                    person = True
                    self._add(
                        "pii.person_column",
                        "法人の名前ではなく、個人の氏名と思われる値です"
                        "（法人名や法人の代表者名は公開できますが、個人事業者などの氏名は"
                        "個人情報です）",
                        line,
                        plan,
                        mask_name,
                        text,
                    )
            elif looks_like_person(text, strict=plan.strict_names):
                person = True
                what = (
                    "個人の氏名（読み）と思われる値です"
                    if plan.kana
                    else "個人の氏名と思われる値です"
                )
                self._add("pii.person_column", what, line, plan, mask_name, text)
        long_digits = LONG_DIGITS_RE.search
        for index in check:
            plan, cell = self.columns[index], cells[index]
            if cell is None:
                continue
            if isinstance(cell, str):
                if len(cell) >= MIN_NUMBER_TEXT and long_digits(cell) is not None:
                    self._numbers(line, plan, fold(cell), person, corporate)
                if "@" in cell or "＠" in cell:
                    self._emails(line, plan, fold(cell), person, corporate)
            elif type(cell) is int and cell >= 100_000_000:
                self._integer(line, plan, cell, person, corporate)
        if self.special:
            self._birth_and_address(line, cells, person, corporate)

    # --- numbers -------------------------------------------------------------------------

    def _numbers(
        self, line: int, plan: ColumnPlan, folded: str, person: bool, corporate: bool
    ) -> None:
        if not plan.my_number_off:
            self._my_numbers(line, plan, twelve_digit_runs(folded))
        phones = find_phones(folded)
        if plan.code_column:
            phones = [p for p in phones if not p.bare]
        if phones:
            self._phones(line, plan, phones, person, corporate)

    def _integer(
        self, line: int, plan: ColumnPlan, value: int, person: bool, corporate: bool
    ) -> None:
        text = str(value)
        if len(text) == 12 and not plan.my_number_off:
            self._my_numbers(line, plan, [text])
        elif plan.contact and (phone := phone_from_number(value)) is not None:
            self._phones(line, plan, [phone], person, corporate)

    def _my_numbers(self, line: int, plan: ColumnPlan, runs: list[str]) -> None:
        for digits in runs:
            if is_valid_my_number(digits):
                if not plan.my_number_header and looks_like_timestamp(digits):
                    continue
                self._add(
                    "pii.my_number",
                    "個人番号（マイナンバー）と思われる 12 桁の番号があります（検査用数字も一致）",
                    line,
                    plan,
                    mask_my_number,
                    digits,
                )
                return
        if plan.my_number_header and runs:
            self._add(
                "pii.my_number_suspect",
                "個人番号の列と思われますが、検査用数字が一致しない 12 桁の番号です",
                line,
                plan,
                mask_my_number,
                runs[0],
            )

    def _phones(
        self, line: int, plan: ColumnPlan, phones: list[Any], person: bool, corporate: bool
    ) -> None:
        facility_side = plan.facility_contact or (plan.contact_owner == "operator" and corporate)
        mobile = next((p for p in phones if p.kind == "mobile"), None)
        if mobile is not None:
            if facility_side:
                self._add(
                    "pii.facility_mobile_phone",
                    "施設の連絡先が携帯電話の番号です",
                    line,
                    plan,
                    mask_phone,
                    mobile.digits,
                )
            else:
                self._add(
                    "pii.mobile_phone",
                    "携帯電話の番号があります",
                    line,
                    plan,
                    mask_phone,
                    mobile.digits,
                )
        other = next((p for p in phones if p.kind != "mobile"), None)
        if other is None:
            return
        if plan.contact_owner == "personal":
            reason = "列名から個人の連絡先と思われます"
        elif person and not facility_side:
            reason = "個人の氏名と同じ行にあります"
        else:
            return
        self._add(
            "pii.personal_phone",
            f"個人の電話番号と思われる番号があります（{reason}）",
            line,
            plan,
            mask_phone,
            other.digits,
        )

    # --- e-mail --------------------------------------------------------------------------

    def _emails(
        self, line: int, plan: ColumnPlan, folded: str, person: bool, corporate: bool
    ) -> None:
        facility_side = plan.facility_contact or (plan.contact_owner == "operator" and corporate)
        for email in find_emails(folded):
            if plan.contact_owner == "personal":
                reason = "列名から個人の連絡先と思われます"
            elif person and not facility_side:
                reason = "個人の氏名と同じ行にあります"
            elif email.kind == "personal" and facility_side:
                self._add(
                    "pii.facility_personal_email",
                    "施設の連絡先がフリーメールまたは携帯電話会社のメールアドレスです",
                    line,
                    plan,
                    mask_email,
                    email.address,
                )
                return
            elif email.kind == "personal":
                reason = "フリーメール・携帯電話会社・プロバイダのアドレスです"
            else:
                continue  # an organisation's own or a public body's address
            self._add(
                "pii.email",
                f"個人のメールアドレスと思われます（{reason}）",
                line,
                plan,
                mask_email,
                email.address,
            )
            return

    # --- birth dates and addresses -------------------------------------------------------

    def _birth_and_address(
        self, line: int, cells: list[object], person: bool, corporate: bool
    ) -> None:
        for plan in self.plan.births:
            text = cell_text(cells[plan.index])
            if text is None:
                continue
            if person:
                self._add(
                    "pii.birth_date_with_name",
                    "個人の氏名と同じ行に生年月日があります",
                    line,
                    plan,
                    _mask_birth,
                    text,
                )
            else:
                what = "生年月日と思われる日付があります"
                self._add("pii.birth_date", what, line, plan, _mask_birth, text)
        for plan in self.addresses:
            text = cell_text(cells[plan.index])
            if text is None:
                continue
            if plan.address == "honseki":
                self._add("pii.person_column", "本籍があります", line, plan, mask_address, text)
                continue
            if plan.address == "facility" or not has_banchi(text):
                continue
            if plan.address == "personal":
                what = "個人の住所（番地まで）と思われる値です（列名が個人の住所）"
            elif person and not (plan.address == "operator" and corporate):
                what = "個人の氏名と同じ行に、番地までの住所があります"
            elif not person and self._gender_and_age(cells):
                what = "性別・年齢と番地までの住所が同じ行にあり、個人が特定されるおそれがあります"
            else:
                continue
            self._add("pii.person_column", what, line, plan, mask_address, text)

    def _gender_and_age(self, cells: list[object]) -> bool:
        gender, age = self.plan.gender, self.plan.age
        if gender is None or age is None:
            return False
        return (
            cell_text(cells[gender.index]) is not None and cell_text(cells[age.index]) is not None
        )


def _mask_birth(text: str) -> str:
    """The year only: 1980-**-**."""
    try:
        day = parse_date(text)
    except ValueError:
        day = None
    return f"{day.year}-**-**" if day else text[:2] + "***"
