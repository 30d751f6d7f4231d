"""Pure rules: local government codes, licences and upload type checks."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

import pytest

from tsunagu.catalog.licenses import get_license
from tsunagu.catalog.local_codes import check_digit, is_valid_local_gov_code, prefecture_code
from tsunagu.catalog.uploads import check_upload, safe_filename
from tsunagu.errors import ValidationError


@pytest.mark.parametrize(
    ("five", "six"),
    [
        ("13101", "131016"),
        ("09201", "092011"),
        ("35201", "352012"),
        ("35000", "350001"),
        ("01100", "011002"),
        ("47201", "472018"),
    ],
)
def test_check_digit_worked_examples(five: str, six: str) -> None:
    assert five + check_digit(five) == six
    assert is_valid_local_gov_code(six)


def test_invalid_codes() -> None:
    assert not is_valid_local_gov_code("352013")
    assert not is_valid_local_gov_code("3520")
    assert not is_valid_local_gov_code("35201a")
    assert prefecture_code("352012") == "350001"


def test_license_aliases() -> None:
    assert get_license("cc-by").id == "cc-by-4.0"  # type: ignore[union-attr]
    assert get_license("CC-BY-4.0").id == "cc-by-4.0"  # type: ignore[union-attr]
    assert get_license("cc-zero").id == "cc0-1.0"  # type: ignore[union-attr]
    assert get_license("nope") is None
    assert not get_license("other-closed").is_open  # type: ignore[union-attr]


@dataclass
class FakeUpload:
    filename: str | None
    file: BinaryIO


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("a.csv", "名称\n".encode("cp932"), "CSV"),
        ("b.xlsx", b"PK\x03\x04rest", "XLSX"),
        ("c.pdf", b"%PDF-1.4", "PDF"),
        ("d.geojson", b'{"type":"FeatureCollection"}', "GeoJSON"),
        ("e.csv", "\ufeffa,b".encode("utf-16"), "CSV"),
    ],
)
def test_accepted_uploads(name: str, content: bytes, fmt: str) -> None:
    assert check_upload(FakeUpload(name, io.BytesIO(content))).format == fmt


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("x.exe", b"MZ"),
        ("x.svg", b"<svg/>"),
        ("x", b"data"),
        ("x.pdf", b"not a pdf"),
        ("x.csv", b"a\x00b"),
        ("x.csv", b""),
    ],
)
def test_refused_uploads(name: str, content: bytes) -> None:
    with pytest.raises(ValidationError):
        check_upload(FakeUpload(name, io.BytesIO(content)))


def test_safe_filename() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\a\\避難所.csv") == "避難所.csv"
    assert safe_filename("") == "file"
