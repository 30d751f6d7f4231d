"""benchmarks/RESULTS.md is generated, never typed: it must be exactly what
benchmarks/render_results.py writes from the committed benchmarks/results/*.json, and those files
must be full runs with a run record (commit, machine, command)."""

from __future__ import annotations

import difflib
import importlib
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SAMPLES = Path(__file__).resolve().parent / "data" / "benchmark_results"


@pytest.fixture(scope="module")
def renderer() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module("render_results")
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_results_md_is_what_the_renderer_writes_from_the_committed_json(
    renderer: ModuleType,
) -> None:
    expected = renderer.render_all(BENCHMARKS / "results")
    actual = (BENCHMARKS / "RESULTS.md").read_text(encoding="utf-8")
    diff = "\n".join(
        list(
            difflib.unified_diff(
                actual.splitlines(), expected.splitlines(), "RESULTS.md", "rendered", lineterm=""
            )
        )[:40]
    )
    assert actual == expected, (
        "benchmarks/RESULTS.md differs from what `python benchmarks/render_results.py` writes "
        f"from benchmarks/results/*.json (edit the JSON's renderer, not the Markdown):\n{diff}"
    )


def test_every_committed_result_is_a_full_run_with_its_record(renderer: ModuleType) -> None:
    files = sorted((BENCHMARKS / "results").glob("*.json"))
    for path in files:
        assert path.stem in renderer.TABLES, f"{path.name}: no table in RESULTS.md renders it"
        run = json.loads(path.read_text(encoding="utf-8"))["run"]
        assert run["quick"] is False, f"{path.name} is from a --quick run"
        assert run["commit"] != "unknown" and run["command"].startswith("python benchmarks/")
        assert run["machine"]["cores"] and run["load_start"] and run["load_end"]


def test_missing_results_are_shown_as_not_measured_with_their_command(
    renderer: ModuleType, tmp_path: Path
) -> None:
    text = renderer.render_all(tmp_path)
    for table in renderer.TABLES.values():
        assert f"Run `{table.command}`" in text
        assert f"`benchmarks/results/{table.name}.json`" in text
    assert "Measured " not in text


@pytest.mark.parametrize("name", sorted(p.stem for p in SAMPLES.glob("*.json")))
def test_each_benchmark_shape_renders_with_its_provenance(
    renderer: ModuleType, tmp_path: Path, name: str
) -> None:
    """Sample results files (from --quick runs of each script) render to a table with the run's
    commit, command and machine above it, the same way twice."""
    shutil.copy(SAMPLES / f"{name}.json", tmp_path / f"{name}.json")
    first = renderer.render_all(tmp_path)
    assert first == renderer.render_all(tmp_path)
    run = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))["run"]
    section = renderer.render_file(name, tmp_path / f"{name}.json")
    assert f"at `{run['commit']}" in section
    assert f"Reproduce: `{run['command']}`" in section
    assert f"{run['machine']['cores']} cores" in section
    assert "**Quick run (`--quick`)**" in section
    assert "|---" in section and section in first
