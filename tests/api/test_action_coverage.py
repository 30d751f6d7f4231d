"""Every action of CKAN 2.11 core and its activity plugin (tests/api/data, see its README) is
registered in Tsunagu, and each is either implemented (help_show documents it) or answers
"not supported" with a reason, over HTTP, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from support.live_server import LiveServer
from tsunagu.catalog.actions.unsupported import UNSUPPORTED
from tsunagu.registry import action_names, is_write_action

DATA = Path(__file__).parent / "data" / "ckan_2_11_core_and_activity_actions.txt"
CKAN_ACTIONS = [line.strip() for line in DATA.read_text(encoding="utf-8").splitlines() if line]
CKAN_ERROR_TYPES = {
    "Authorization Error",
    "Not Found Error",
    "Validation Error",
    "Search Query Error",
    "Bad request",
}
API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_the_list_is_ckans_147_actions() -> None:
    assert len(CKAN_ACTIONS) == 147
    assert sorted(set(CKAN_ACTIONS)) == CKAN_ACTIONS


@pytest.mark.parametrize("name", CKAN_ACTIONS)
def test_every_ckan_action_is_registered(name: str) -> None:
    assert name in action_names(), f"{name} is not registered"


@pytest.mark.parametrize("name", CKAN_ACTIONS)
def test_every_ckan_action_is_implemented_or_refused_with_a_reason(
    server: LiveServer, name: str
) -> None:
    if name not in action_names():
        pytest.fail(f"{name} is not registered")
    help_text = requests.get(
        f"{server.url}/api/3/action/help_show", params={"name": name}, timeout=10
    ).json()
    assert help_text["success"] is True and help_text["result"].strip()
    response = requests.post(f"{server.url}/api/3/action/{name}", json={"id": "x"}, timeout=10)
    if name not in UNSUPPORTED:
        # Implemented: an anonymous call with next to no input gets a CKAN answer (a result, or
        # a refusal or input error with CKAN's __type), never a crash or "not supported".
        assert "Not supported" not in help_text["result"]
        assert response.status_code < 500, response.text
        body = response.json()
        assert body["success"] or body["error"]["__type"] in CKAN_ERROR_TYPES, body
        return
    assert response.status_code == 501
    error = response.json()["error"]
    assert error["__type"] == "Not Supported Error"
    assert error["action"] == name
    assert error["reason"] == UNSUPPORTED[name] and len(error["reason"]) > 40
    assert UNSUPPORTED[name] in help_text["result"]


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_actions_change_nothing_and_answer_get_too(
    server: LiveServer, name: str
) -> None:
    assert not is_write_action(name)
    response = requests.get(f"{server.url}/api/3/action/{name}", timeout=10)
    assert response.status_code == 501
    assert response.json()["success"] is False


def test_unsupported_actions_are_listed_in_the_api_docs() -> None:
    text = API_DOC.read_text(encoding="utf-8")
    for name in UNSUPPORTED:
        assert f"`{name}`" in text, f"{name} is missing from docs/api.md"
