"""The order test modules are handed out to the workers of ``pytest -n 3 --dist loadfile``: the
longest first.

Each worker takes the next module when it is free. xdist's own order (most tests first) left the
longest modules, which have few tests (schemathesis, the browser, several processes), for the
end, where one worker ran them alone while the others had nothing left. Longest first lets the
many short modules fill in at the end. ``make test`` passes ``--no-loadscope-reorder`` so that
xdist keeps this order.

MODULE_SECONDS are measured (a module's tests summed, setup included, one run with -n 2) and
need not be exact; a module not listed is taken as short and keeps its place after the listed
ones. To measure again: ``pytest -n 3 --dist loadfile --junitxml=times.xml`` and
``python tests/support/scheduling.py times.xml``.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter

import pytest

MODULE_SECONDS = {
    "tests/disaster/test_processes.py": 138,
    "tests/api/test_schemathesis.py": 114,
    "tests/search/test_snapshot.py": 100,
    "tests/catalog/test_authorization_matrix.py": 86,
    "tests/maps/test_map_layers.py": 67,
    "tests/web/test_browser.py": 63,
    "tests/disaster/test_disaster_mode.py": 61,
    "tests/federation/test_ckan_dump_fixtures.py": 57,
    "tests/maps/test_map_jobs.py": 53,
    "tests/federation/test_harvest_jobs.py": 52,
    "tests/federation/test_harvest_bad_input.py": 42,
    "tests/usage/test_usage_counters.py": 37,
    "tests/datastore/test_ingest_api.py": 34,
    "tests/federation/test_opendata_list_harvest.py": 33,
    "tests/web/test_ingest_status_browser.py": 32,
    "tests/federation/test_ckan_harvest.py": 32,
    "tests/federation/test_ckanapi_migration.py": 32,
    "tests/search/test_postgres_backend.py": 31,
    "tests/datastore/test_postings_rebuild.py": 29,
    "tests/web/test_dashboards_browser.py": 29,
    "tests/web/test_plan_browser.py": 27,
    "tests/dcat/test_dcat_harvest.py": 27,
    "tests/web/test_community_browser.py": 26,
    "tests/api/test_crawler_compat.py": 25,
    "tests/web/test_attention_browser.py": 23,
    "tests/metrics/test_metric_snapshots.py": 23,
    "tests/web/test_batch_browser.py": 22,
    "tests/web/test_harvest_browser.py": 19,
    "tests/quality/test_worker.py": 19,
    "tests/web/test_map_browser.py": 19,
    "tests/api/test_batch_upload.py": 18,
    "tests/api/test_rate_limits.py": 18,
    "tests/web/test_login_throttle.py": 17,
    "tests/api/test_resource_versions.py": 17,
    "tests/catalog/test_privacy.py": 15,
    "tests/quality/test_quality_api.py": 15,
    "tests/ops/test_health_and_metrics.py": 14,
    "tests/metrics/test_metric_values.py": 14,
    "tests/ops/test_backup.py": 13,
    "tests/web/test_staff_table_browser.py": 13,
    "tests/web/test_choropleth_browser.py": 13,
    "tests/web/test_dataset_form_browser.py": 13,
    "tests/catalog/test_races.py": 13,
    "tests/web/test_security_headers.py": 13,
    "tests/federation/test_harvest_security.py": 13,
    "tests/web/test_disaster_browser.py": 12,
    "tests/datastore/test_short_word_postings.py": 12,
    "tests/accounts/test_mail_failures.py": 12,
    "tests/demo/test_loader.py": 12,
    "tests/test_cli.py": 11,
    "tests/web/test_sessions.py": 11,
    "tests/test_cli_quality.py": 11,
    "tests/api/test_attention.py": 11,
    "tests/usage/test_usage_analytics.py": 11,
    "tests/datastore/test_short_words.py": 11,
    "tests/test_missing_parts_summary.py": 11,
    "tests/datastore/test_fetch_guard_api.py": 11,
    "tests/api/test_collaborators.py": 10,
    "tests/accounts/test_account_notices.py": 10,
    "tests/web/test_browser_versions.py": 10,
}
LISTED_FROM = 10  # seconds: shorter modules are not listed


def longest_first(items: list[pytest.Item]) -> None:
    """Sort ``items`` in place, module by module, longest module first; within a module, and
    among modules not listed, the order stays as collected."""
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        first_seen.setdefault(item.nodeid.split("::", 1)[0], index)

    def key(item: pytest.Item) -> tuple[int, int]:
        module = item.nodeid.split("::", 1)[0]
        return (-MODULE_SECONDS.get(module, 0), first_seen[module])

    items.sort(key=key)


def measured(junit_xml: str) -> dict[str, int]:
    """Seconds per module in a junit XML report, longest first, as MODULE_SECONDS lists them."""
    seconds: Counter[str] = Counter()
    for case in ElementTree.parse(junit_xml).iter("testcase"):
        seconds[case.get("classname", "").replace(".", "/") + ".py"] += float(case.get("time", 0))
    return {module: round(s) for module, s in seconds.most_common() if s >= LISTED_FROM}


if __name__ == "__main__":
    for module, seconds in measured(sys.argv[1]).items():
        print(f'    "{module}": {seconds},')
