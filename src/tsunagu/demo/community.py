"""Demo data requests and 活用事例 (community/): a few requests at each status and two approved
use cases built on 下関市's and 宇部市's data, made through the same actions as the portal.
Everything here is fictional."""

from __future__ import annotations

from tsunagu.context import Context
from tsunagu.registry import call_action

REQUESTS = (
    # title, description, organisation (None: waiting for the prefecture), status, dataset, answer
    (
        "AED の設置場所（下関市）",
        "ジョギング中に近くの AED を探せる地図アプリを作りたいので、設置場所と利用できる時間が"
        "ほしいです。",
        "shimonoseki-city",
        "published",
        "shimonoseki-city-aed-location",
        "自治体標準オープンデータセットの形式で公開しました。",
    ),
    (
        "保育所の空き状況",
        "子育て世帯向けの案内サイトで、月ごとの空き状況を載せたいです。",
        "ube-city",
        "reviewing",
        None,
        "",
    ),
    (
        "コミュニティバスの時刻表（GTFS）",
        "乗換案内アプリで使えるように、GTFS 形式で公開してほしいです。",
        None,
        "received",
        None,
        "",
    ),
    (
        "個人別の健康診断の結果",
        "研究に使いたいです。",
        "yamaguchi-pref",
        "declined",
        None,
        "個人が特定されるおそれがあるため公開できません。市町別の集計値は統計ページで公開しています。",
    ),
)
SHOWCASES = (
    (
        "hinan-navi",
        "ひなんナビ 下関",
        "app",
        "現在地から近い指定緊急避難場所と AED を地図で案内するスマートフォン向けアプリです。",
        "https://example.jp/hinan-navi",
        "下関高校 情報部（架空）",
        ["shimonoseki-city-evacuation-space", "shimonoseki-city-aed-location"],
    ),
    (
        "ube-population-dashboard",
        "宇部市 人口の移り変わり",
        "visualization",
        "年齢別人口の推移をグラフにした、市民向けの可視化です。",
        "https://example.jp/ube-population",
        "宇部データ研究会（架空）",
        ["ube-city-population"],
    ),
)


def load(context: Context) -> str:
    """Make the demo requests and use cases as ``context`` (the demo's acting sysadmin)."""
    for title, description, organization, status, dataset, answer in REQUESTS:
        made = call_action(
            "data_request_create",
            context,
            {"title": title, "description": description, "organization": organization or ""},
        )
        if status != "received":
            call_action(
                "data_request_update",
                context,
                {"id": made["id"], "status": status, "dataset_id": dataset or "", "answer": answer},
            )
    for name, title, kind, notes, url, author, datasets in SHOWCASES:
        call_action(
            "ckanext_showcase_create",
            context,
            {
                "name": name,
                "title": title,
                "kind": kind,
                "notes": notes,
                "url": url,
                "author": author,
                "datasets": datasets,
            },
        )
    return f"データ要望 {len(REQUESTS)}、活用事例 {len(SHOWCASES)}"
