"""Behaviour found wrong in review, pinned so it stays right."""

from __future__ import annotations

import ckanapi
import pytest
import requests

from support.live_server import LiveServer


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> ckanapi.RemoteCKAN:
    ckan = server.ckan(server.make_user("reg-admin", sysadmin=True))
    ckan.action.organization_create(
        name="pref", title="山口県", kind="prefecture", local_gov_code="350001"
    )
    ckan.action.organization_create(
        name="hofu", title="防府市", kind="municipality", local_gov_code="352063", parent="pref"
    )
    ckan.action.package_create(
        name="spots",
        title="観光スポット",
        owner_org="hofu",
        notes="水辺の公園",
        url="https://example.jp/source",
        version="2024.1",
    )
    ckan.action.package_create(name="evac", title="指定緊急避難場所一覧", owner_org="hofu")
    return ckan


def _names(ckan: ckanapi.RemoteCKAN, **query: object) -> set[str]:
    return {r["name"] for r in ckan.action.package_search(rows=100, **query)["results"]}


def test_write_actions_need_post(server: LiveServer) -> None:
    token = server.make_user("reg-head", sysadmin=True)
    for method in ("GET", "HEAD"):
        response = requests.request(
            method,
            f"{server.url}/api/3/action/package_create",
            params={"name": "via-" + method.lower(), "title": "x", "owner_org": "hofu"},
            headers={"Authorization": token},
            timeout=10,
        )
        assert response.status_code in (400, 405)
    with pytest.raises(ckanapi.NotFound):
        server.ckan(token).action.package_show(id="via-head")


def test_wildcard_on_free_text(admin: ckanapi.RemoteCKAN) -> None:
    admin.action.package_create(name="wifi-spots", title="Wi-Fiスポット", owner_org="hofu")
    assert _names(admin, q="spot*") == {"spots", "wifi-spots"}  # names are indexed as words
    assert _names(admin, q="wif*") == {"wifi-spots"}
    assert _names(admin, q="xyz*") == set()
    assert "wifi-spots" in _names(admin, q="name:wifi*")


def test_single_character_in_title_only(admin: ckanapi.RemoteCKAN) -> None:
    assert _names(admin, q="水") == {"spots"}
    assert _names(admin, q="title:水") == set()


def test_url_and_version_searchable(admin: ckanapi.RemoteCKAN) -> None:
    assert _names(admin, q="version:2024.1") == {"spots"}
    assert "spots" in _names(admin, q='url:"example.jp"')


def test_date_math(admin: ckanapi.RemoteCKAN) -> None:
    everything = _names(admin)
    assert _names(admin, fq="metadata_modified:[NOW/DAY TO *]") == everything
    assert _names(admin, fq="metadata_modified:[NOW/DAY-1DAY TO NOW+1DAY]") == everything
    assert _names(admin, fq="metadata_created:[* TO NOW-1YEAR]") == set()
    with pytest.raises(ckanapi.SearchQueryError):
        admin.action.package_search(fq="metadata_modified:[NOW-BANANAS TO *]")


def test_synonyms_find_official_wording(admin: ckanapi.RemoteCKAN) -> None:
    assert _names(admin, q="避難所") == {"evac"}
    # A quoted phrase means exactly these characters.
    assert _names(admin, q='"避難所"') == set()


def test_organization_changes_reach_search(admin: ckanapi.RemoteCKAN) -> None:
    admin.action.organization_create(name="kudamatsu", title="下松市", kind="other")
    admin.action.package_create(name="k1", title="下松市のデータ", owner_org="kudamatsu")
    assert _names(admin, fq="kind:municipality") >= {"spots"}
    assert "k1" not in _names(admin, fq="kind:municipality")
    admin.action.organization_patch(id="kudamatsu", kind="municipality", local_gov_code="352071")
    assert "k1" in _names(admin, fq="kind:municipality")
    assert admin.action.package_show(id="k1")["organization"]["local_gov_code"] == "352071"


def test_organization_parent_loops_refused(admin: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.organization_patch(id="pref", parent="pref")
    assert "parent" in exc.value.error_dict
    with pytest.raises(ckanapi.ValidationError):
        admin.action.organization_patch(id="pref", parent="hofu")


@pytest.mark.parametrize("text", ["AED:", 'a "b c', "(", "OR", "\\"])
def test_autocomplete_takes_any_text(admin: ckanapi.RemoteCKAN, text: str) -> None:
    assert isinstance(admin.action.package_autocomplete(q=text), list)


def test_update_without_private_keeps_it_private(
    admin: ckanapi.RemoteCKAN, server: LiveServer
) -> None:
    admin.action.package_create(name="secret", title="非公開", owner_org="hofu", private=True)
    admin.action.package_update(
        id="secret", name="secret", title="非公開（更新）", owner_org="hofu"
    )
    assert admin.action.package_show(id="secret")["private"] is True
    with pytest.raises(ckanapi.NotFound):
        server.ckan().action.package_show(id="secret")


def test_help_show(server: LiveServer) -> None:
    assert "CKAN" in server.ckan().action.help_show(name="help_show")
