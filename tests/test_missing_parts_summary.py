"""A run where a part is missing says so loudly at the end, also under xdist; when the part is
required (as in CI) the same tests fail instead of skipping."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

SAMPLE = """
from support.missing_parts import skip_or_fail


def test_needs_postgres_one():
    skip_or_fail("PostgreSQL", "initdb not found", required_by="SAMPLE_REQUIRE_POSTGRES")


def test_needs_postgres_two():
    skip_or_fail("PostgreSQL", "initdb not found", required_by="SAMPLE_REQUIRE_POSTGRES")


def test_needs_chromium():
    skip_or_fail("Chromium", "/usr/bin/chromium is not installed", required_by="SAMPLE_NEVER_SET")


def test_an_ordinary_skip():
    import pytest

    pytest.skip("not about a missing part")


def test_runs():
    assert True
"""


def _run(
    tmp_path: Path, sample: str, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """pytest in a subprocess on one sample file, with only the summary hook as a plugin."""
    (tmp_path / "test_sample.py").write_text(sample, encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SAMPLE_")}
    plugins = ["-p", "support.missing_parts", "-p", "no:cacheprovider"]
    isolated = ["-c", os.devnull, "--rootdir", str(tmp_path)]  # not this project's settings
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *plugins, *isolated, *args, str(tmp_path)],
        capture_output=True,
        text=True,
        env={**environment, "PYTHONPATH": str(TESTS), **(env or {})},
        timeout=300,
    )
    return done.returncode, done.stdout


def test_skips_for_a_missing_part_are_counted_at_the_end(tmp_path: Path) -> None:
    code, output = _run(tmp_path, SAMPLE, "-n", "2")
    assert code == 0, output
    assert "3 TESTS DID NOT RUN: A PART IS MISSING ON THIS MACHINE" in output
    assert "2 skipped without PostgreSQL: initdb not found" in output
    assert "1 skipped without Chromium: /usr/bin/chromium is not installed" in output
    assert "not about a missing part" not in output.split("TESTS DID NOT RUN", 1)[1]
    # At the end: only the final counts line comes after the warning.
    tail = output.rstrip().splitlines()
    assert "1 passed, 4 skipped" in tail[-1]
    assert "does not show that those tests pass" in tail[-2]


def test_a_required_part_fails_instead(tmp_path: Path) -> None:
    code, output = _run(tmp_path, SAMPLE, env={"SAMPLE_REQUIRE_POSTGRES": "1"})
    assert code == 1, output
    assert "2 failed" in output
    assert "PostgreSQL is required (SAMPLE_REQUIRE_POSTGRES is set)" in output
    assert "1 TESTS DID NOT RUN" in output  # the Chromium test, not required here


def test_nothing_is_printed_when_nothing_is_missing(tmp_path: Path) -> None:
    code, output = _run(tmp_path, "def test_runs():\n    assert True\n")
    assert code == 0, output
    assert "DID NOT RUN" not in output
