"""Self-test of the throwaway PostgreSQL helper used by the storage tests."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

# The conftest also puts tests/ on sys.path; repeating it here is harmless.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.missing_parts import skip_or_fail
from support.postgres_server import (
    TEST_DB,
    PostgresServer,
    check_available,
    find_pg_bin,
)

psycopg = pytest.importorskip("psycopg")


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_find_pg_bin_returns_complete_bindir_or_none() -> None:
    bindir = find_pg_bin()
    if bindir is not None:
        assert (bindir / "pg_ctl").exists()
        assert (bindir / "initdb").exists()


def test_server_lifecycle() -> None:
    reason = check_available()
    if reason is not None:
        skip_or_fail("PostgreSQL", reason, required_by="TSUNAGU_REQUIRE_POSTGRES")

    with PostgresServer() as server:
        port = server.port
        datadir = server.datadir
        assert datadir is not None and datadir.is_dir()
        assert server.url == f"postgresql+psycopg://postgres@127.0.0.1:{port}/{TEST_DB}"

        dsn = f"host=127.0.0.1 port={port} user=postgres dbname={TEST_DB}"
        with psycopg.connect(dsn) as conn:
            row = conn.execute("select version()").fetchone()
            assert row is not None and row[0].startswith("PostgreSQL")
            enc = conn.execute("show server_encoding").fetchone()
            assert enc is not None and enc[0] == "UTF8"

        url = server.create_database("tsunagu_second")
        assert url.endswith(f":{port}/tsunagu_second")
        with psycopg.connect(
            host="127.0.0.1", port=port, user="postgres", dbname="tsunagu_second"
        ) as conn:
            name = conn.execute("select current_database()").fetchone()
            assert name == ("tsunagu_second",)

    assert not _port_open(port)
    assert not datadir.exists()
    assert server.tmpdir is not None and not server.tmpdir.exists()
    server.stop()  # idempotent
