"""Schemathesis against the live server: every action in /openapi.json (whatever actions exist
when this runs), its coverage and fuzzing phases, as a sysadmin.

Checks: ``not_a_server_error`` (no 500, ever; the 501/502/503 some actions give on purpose are
declared for them) and the response checks the document allows:
``status_code_conformance`` (every status is declared), ``content_type_conformance`` and
``response_schema_conformance`` (the CKAN envelope). The hooks in ``support.fuzz_hooks`` make
the generated calls carry the parameter names actions read and the ids of real objects.

Runtime: ``MAX_EXAMPLES`` fuzzed calls per operation on top of the coverage phase's cases, with a
fixed seed, so a run is repeatable; about a minute or two per database on two cores.
A failure prints schemathesis' report: the operation, the check that failed, the response, and
a curl command (token shown as [Filtered]) that reproduces the request.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.live_server import LiveServer

# Raise TSUNAGU_FUZZ_EXAMPLES (and vary TSUNAGU_FUZZ_SEED) for a longer hunt on your machine.
MAX_EXAMPLES = int(os.environ.get("TSUNAGU_FUZZ_EXAMPLES", "4"))
SEED = int(os.environ.get("TSUNAGU_FUZZ_SEED", "20240501"))
TIMEOUT = max(900, 90 * MAX_EXAMPLES)
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
TESTS = Path(__file__).resolve().parents[1]
DESIGNED_5XX = (501, 502, 503)


def _real_objects(server: LiveServer, token: str) -> list[str]:
    """A small catalog for the fuzzer to find: its names and ids are mixed into the inputs."""
    ckan = server.ckan(token)
    org = ckan.action.organization_create(name="fuzz-org", title="ファズ市")
    group = ckan.action.group_create(name="fuzz-group", title="ファズ分類")
    dataset = ckan.action.package_create(
        name="fuzz-data",
        title="ファズのデータ",
        owner_org="fuzz-org",
        groups=[{"name": "fuzz-group"}],
    )
    resource = ckan.action.resource_create(
        package_id="fuzz-data", name="表", upload=("rows.csv", io.BytesIO(b"a,b\n1,x\n2,y\n"))
    )
    table = ckan.action.datastore_create(
        resource={"package_id": "fuzz-data", "name": "直接の表"},
        fields=[{"id": "n", "type": "int"}, {"id": "t", "type": "text"}],
        records=[{"n": 1, "t": "一"}, {"n": 2, "t": "二"}],
        primary_key=["n"],
    )
    user = ckan.action.user_show(id="fuzz-admin")
    return [
        "fuzz-org",
        org["id"],
        "fuzz-group",
        group["id"],
        "fuzz-data",
        dataset["id"],
        resource["id"],
        table["resource_id"],
        "fuzz-admin",
        user["id"],
    ]


def test_no_server_errors_and_responses_match_the_document(
    server: LiveServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token = server.make_user("fuzz-admin", sysadmin=True)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        "SCHEMATHESIS_HOOKS": "support.fuzz_hooks",
        "TSUNAGU_FUZZ_VALUES": json.dumps(_real_objects(server, token)),
    }
    # A 5xx an action gives on purpose (501 Not Supported, 502/503 mail) is declared for that
    # operation in the document; status_code_conformance still fails it anywhere else.
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        '[checks.not_a_server_error]\nexpected-statuses = ["2xx", "3xx", "4xx", '
        + ", ".join(f'"{status}"' for status in DESIGNED_5XX)
        + "]\n",
        encoding="utf-8",
    )
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{server.url}/openapi.json",
        "--header",
        f"Authorization: {token}",
        "--phases",
        "coverage,fuzzing",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--generation-database",
        "none",
        "--no-color",
        "--output-truncate",
        "false",
    ]
    with caplog.at_level(logging.ERROR):
        result = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"schemathesis found problems:\n{output}", pytrace=False)
    assert "Tested:" in output, output  # it really ran the operations
    # A failure the answer does not show (a background job the calls started) is logged.
    formatter = logging.Formatter()
    logged = [
        f"{r.name}: {r.getMessage()}\n{formatter.formatException(r.exc_info) if r.exc_info else ''}"
        for r in caplog.records
        if r.levelno >= logging.ERROR
    ]
    assert not logged, "\n".join(logged)
