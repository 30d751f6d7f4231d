"""Migration 0006 on a catalog written at 0005, on SQLite and PostgreSQL: free-text frequencies
become codes where the text is clear and are flagged (kept in frequency_unmapped) where not;
datasets get spatial_codes from their label or their organisation; a downgrade gives the text
back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command

from support.databases import database_url_for
from tsunagu.storage.database import make_engine
from tsunagu.storage.migrate import alembic_config, upgrade

NOW = datetime(2026, 1, 1, 9, 0)

# (dataset name, organisation, frequency text, spatial text) as a 0005 catalog held them: the
# demo's spellings and ones seen in real municipal catalogs.
ROWS = [
    ("nenji", "shimonoseki", "年1回", "山口県下関市"),
    ("nendo", "shimonoseki", "毎年度", ""),
    ("getsuji", "shimonoseki", "月次", "下関市"),
    ("tsuki", "shimonoseki", "月1回", "山口県"),
    ("maitsuki", "shimonoseki", "毎月更新", "下関市・宇部市"),
    ("zuiji", "shimonoseki", "随時", "下関市彦島地区"),
    ("shihanki", "shimonoseki", "四半期", ""),
    ("futeiki", "other", "不定期", ""),
    ("code", "other", "weekly", ""),
    ("three-times", "shimonoseki", "年3回", ""),
    ("biennial", "shimonoseki", "2年に1回", ""),
    ("unset", "other", "", ""),
]
EXPECTED = {
    # name: (frequency, frequency_unmapped, spatial_codes, spatial)
    "nenji": ("annual", "", ["352012"], "山口県下関市"),
    "nendo": ("annual", "", ["352012"], "山口県下関市"),
    "getsuji": ("monthly", "", ["352012"], "下関市"),
    "tsuki": ("monthly", "", ["350001"], "山口県"),
    "maitsuki": ("monthly", "", ["352012", "352021"], "下関市・宇部市"),
    "zuiji": ("as_needed", "", [], "下関市彦島地区"),
    "shihanki": ("quarterly", "", ["352012"], "山口県下関市"),
    "futeiki": ("irregular", "", [], ""),
    "code": ("weekly", "", [], ""),
    "three-times": ("", "年3回", ["352012"], "山口県下関市"),
    "biennial": ("", "2年に1回", ["352012"], "山口県下関市"),
    "unset": ("", "", [], ""),
}


def _row(table: sa.Table, **values: Any) -> dict[str, Any]:
    """Values for every NOT NULL column of a 0005 table, with the given ones."""
    filled: dict[str, Any] = {}
    for column in table.columns:
        if column.name in values or column.nullable:
            continue
        if isinstance(column.type, sa.Boolean):
            filled[column.name] = False
        elif isinstance(column.type, sa.DateTime):
            filled[column.name] = NOW
        elif isinstance(column.type, sa.Integer | sa.BigInteger):
            filled[column.name] = 0
        else:
            filled[column.name] = ""
    return {**filled, **values}


def _seed(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    organization = sa.Table("organization", metadata, autoload_with=engine)
    dataset = sa.Table("dataset", metadata, autoload_with=engine)
    with engine.begin() as connection:
        connection.execute(
            organization.insert(),
            [
                _row(organization, id="org-1", name="shimonoseki", local_gov_code="352012"),
                _row(organization, id="org-2", name="other", local_gov_code=None),
            ],
        )
        orgs = {"shimonoseki": "org-1", "other": "org-2"}
        connection.execute(
            dataset.insert(),
            [
                _row(
                    dataset,
                    id=f"ds-{name}",
                    name=name,
                    owner_org=orgs[org],
                    frequency=frequency,
                    spatial=spatial,
                )
                for name, org, frequency, spatial in ROWS
            ],
        )


def _read(engine: sa.Engine, *columns: str) -> dict[str, tuple[Any, ...]]:
    dataset = sa.Table("dataset", sa.MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(dataset.c.name, *(dataset.c[c] for c in columns))).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_free_text_frequencies_are_mapped_or_flagged(backend: str, tmp_path: Path) -> None:
    engine = make_engine(database_url_for(backend, tmp_path))
    try:
        upgrade(engine, "0005")
        _seed(engine)
        upgrade(engine, "0006")
        found = _read(engine, "frequency", "frequency_unmapped", "spatial_codes", "spatial")
        assert {name: (f, u, list(c), s) for name, (f, u, c, s) in found.items()} == EXPECTED
        contact = _read(engine, "contact_name", "contact_email", "contact_phone", "standard_id")
        assert set(contact.values()) == {("", "", "", "")}

        command.downgrade(alembic_config(engine), "0005")
        back = _read(engine, "frequency")
        assert back["three-times"] == ("年3回",)  # the flagged text comes back as it was
        assert back["nenji"] == ("毎年",)  # a code goes back as its Japanese label
        assert back["unset"] == ("",)
        assert "frequency_unmapped" not in {
            c["name"] for c in sa.inspect(engine).get_columns("dataset")
        }
    finally:
        engine.dispose()
