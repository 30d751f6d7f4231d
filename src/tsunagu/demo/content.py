"""The demo catalog loaded by `tsunagu demo load`: 山口県, its departments and 13 cities.

Organisations, groups and users are defined here; datasets come from `datasets_prefecture`
and `datasets_municipal`, and each resource carries a callable that generates its file.
"""

from __future__ import annotations

import os

from tsunagu.demo.builder import EMAIL_DOMAIN
from tsunagu.demo.datasets_municipal import municipal_datasets, opendata_list_dataset
from tsunagu.demo.datasets_prefecture import prefecture_datasets, prefecture_opendata_list
from tsunagu.demo.model import (
    DemoCatalog,
    DemoDataset,
    DemoGroup,
    DemoOrganization,
    DemoResource,
    DemoUser,
)
from tsunagu.demo.places import MUNICIPALITIES, PREF_CODE, PREF_HALL, PREF_NAME

__all__ = [
    "DemoCatalog",
    "DemoDataset",
    "DemoGroup",
    "DemoOrganization",
    "DemoResource",
    "DemoUser",
    "demo_catalog",
    "demo_password",
]

PREFECTURE = "yamaguchi-pref"

# (slug, title, description) of the prefectural departments publishing data.
DEPARTMENTS = (
    (
        "yamaguchi-pref-toukei",
        "山口県 総合企画部 統計分析課",
        "人口移動統計調査、統計年鑑などの県の統計データを公開しています。",
    ),
    (
        "yamaguchi-pref-bousai",
        "山口県 総務部 防災危機管理課",
        "地域防災計画、浸水想定区域、土砂災害警戒区域などの防災情報を公開しています。",
    ),
    (
        "yamaguchi-pref-kanko",
        "山口県 観光スポーツ文化部 観光政策課",
        "観光客動態調査の結果や県内のまつり・イベント情報を公開しています。",
    ),
    (
        "yamaguchi-pref-kankyo",
        "山口県 環境生活部 環境政策課",
        "大気環境の測定結果、ごみ排出量、環境基本計画などを公開しています。",
    ),
)

GROUPS = (
    DemoGroup("bousai", "防災", "避難場所、AED、浸水想定区域など、災害への備えに役立つデータ。"),
    DemoGroup("kosodate", "子育て", "保育所・幼稚園・児童館など、子育て支援に関するデータ。"),
    DemoGroup("kanko", "観光", "観光施設、まつり・イベント、観光客数など、観光に関するデータ。"),
    DemoGroup(
        "kenko-fukushi", "健康・福祉", "医療機関、介護サービス事業所など、健康と福祉のデータ。"
    ),
    DemoGroup("jinko-tokei", "人口・統計", "人口、世帯数、統計年鑑など、地域の基礎統計データ。"),
    DemoGroup("kyoiku-bunka", "教育・文化", "文化財、公共施設、学校など、教育と文化のデータ。"),
    DemoGroup("kotsu", "交通", "コミュニティバスの停留所、自動車保有台数など、交通のデータ。"),
    DemoGroup("kankyo", "環境", "大気環境、ごみ排出量、環境計画など、環境に関するデータ。"),
)


def organizations() -> tuple[DemoOrganization, ...]:
    _address, _city, _zip, _tel, lat, lon = PREF_HALL
    prefecture = DemoOrganization(
        name=PREFECTURE,
        title=PREF_NAME,
        kind="prefecture",
        local_gov_code=PREF_CODE,
        parent=None,
        description=(
            "山口県のオープンデータカタログです。県の各部局と県内の市が公開するデータを"
            "まとめて検索・利用できます。"
        ),
        contact_email=f"opendata.{PREFECTURE}@{EMAIL_DOMAIN}",
        url="https://www.pref.yamaguchi.lg.jp/",
        latitude=lat,
        longitude=lon,
    )
    departments = tuple(
        DemoOrganization(
            name=slug,
            title=title,
            kind="prefectural_department",
            local_gov_code=PREF_CODE,  # departments have no code of their own
            parent=PREFECTURE,
            description=description,
            contact_email=f"{slug.removeprefix('yamaguchi-pref-')}.{PREFECTURE}@{EMAIL_DOMAIN}",
            url="https://www.pref.yamaguchi.lg.jp/",
            latitude=lat,
            longitude=lon,
        )
        for slug, title, description in DEPARTMENTS
    )
    cities = tuple(
        DemoOrganization(
            name=muni.slug,
            title=muni.name,
            kind="municipality",
            local_gov_code=muni.code,
            parent=PREFECTURE,  # listed under the prefecture in this prefectural catalog
            description=(
                f"{muni.name}（{PREF_NAME}）が公開するオープンデータです。"
                f"市役所：{PREF_NAME}{muni.name}{muni.hall_address}"
            ),
            contact_email=f"opendata.{muni.slug}@{EMAIL_DOMAIN}",
            url=muni.url,
            latitude=muni.lat,
            longitude=muni.lon,
        )
        for muni in MUNICIPALITIES
    )
    return (prefecture, *departments, *cities)


def demo_password(user_name: str) -> str:
    """Demo-only password: $TSUNAGU_DEMO_PASSWORD if set, else "demo-<user name>".

    These accounts exist only to show roles in a demo catalog; never load the demo into a
    production instance, and set TSUNAGU_DEMO_PASSWORD on any demo reachable by others.
    """
    return os.environ.get("TSUNAGU_DEMO_PASSWORD") or f"demo-{user_name}"


# (name, fullname, sysadmin, memberships). Full names are roles, not people.
USERS = (
    ("admin", "カタログ管理者", True, ()),
    ("shimonoseki-admin", "下関市 オープンデータ管理者", False, (("shimonoseki-city", "admin"),)),
    ("shimonoseki-editor", "下関市 データ登録担当", False, (("shimonoseki-city", "editor"),)),
    ("yamaguchi-city-admin", "山口市 オープンデータ管理者", False, (("yamaguchi-city", "admin"),)),
    ("yamaguchi-city-editor", "山口市 データ登録担当", False, (("yamaguchi-city", "editor"),)),
    ("toukei-editor", "山口県 統計分析課 データ登録担当", False,
     (("yamaguchi-pref-toukei", "editor"),)),
)  # fmt: skip


def users() -> tuple[DemoUser, ...]:
    return tuple(
        DemoUser(
            name=name,
            fullname=fullname,
            email=f"{name}@{EMAIL_DOMAIN}",
            password=demo_password(name),
            sysadmin=sysadmin,
            memberships=memberships,
        )
        for name, fullname, sysadmin, memberships in USERS
    )


def datasets() -> tuple[DemoDataset, ...]:
    group_titles = {g.name: g.title for g in GROUPS}
    prefectural = prefecture_datasets()
    municipal = municipal_datasets()
    public_pref = [d for d in prefectural if not d.private]
    result = [*prefectural, prefecture_opendata_list(public_pref, group_titles)]
    result += municipal
    # 下関市 publishes its own オープンデータ一覧 (the others rely on the catalog itself).
    shimonoseki = [d for d in municipal if d.organization == "shimonoseki-city" and not d.private]
    result.append(opendata_list_dataset("shimonoseki-city", shimonoseki, group_titles))
    return tuple(result)


def demo_catalog() -> DemoCatalog:
    """Everything `tsunagu demo load` creates. File bytes are produced lazily by resources."""
    return DemoCatalog(
        organizations=organizations(),
        groups=GROUPS,
        datasets=datasets(),
        users=users(),
    )
