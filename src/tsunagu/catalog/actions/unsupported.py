"""CKAN actions that have no meaning in Tsunagu. Each is registered, so a client gets a clear
answer instead of "unknown action": HTTP 501 with ``__type`` "Not Supported Error", the reason
and what to use instead (see errors.NotSupported and docs/api.md)."""

from __future__ import annotations

from typing import Any

from tsunagu.context import Context
from tsunagu.errors import NotSupported
from tsunagu.registry import Action, action

_TASK_STATUS = (
    "CKAN の task_status は拡張機能（archiver、qa、旧 datapusher）が作業の状態を書き込む表です。"
    "Tsunagu の作業はジョブとして記録されます：job_list・job_show、取り込みは "
    "datastore_ingest_status、品質チェックは resource_validation_show を使ってください。"
    "(Tsunagu records background work as jobs: use job_list/job_show, datastore_ingest_status "
    "and resource_validation_show.)"
)
_TERM_TRANSLATION = (
    "CKAN の term_translation は ckanext-multilingual がタグや分類の訳語を引く表です。Tsunagu "
    "の英語表示はサイトに同梱した画面の訳語で行い、データの値は翻訳しません。"
    "(Tsunagu's English interface uses the translations shipped with the site; values in the "
    "data are not translated, so there are no term translations to read or write.)"
)
_RELATIONSHIPS = (
    "データセット間の関係（depends_on・child_of など）は Tsunagu にありません。CKAN でも画面"
    "からは使われていない古い機能で、検索・ハーベスト・ポータルのどれも読みません。関連する"
    "データセットはグループ（カテゴリ）・タグ・説明文のリンクで示してください。"
    "(Dataset relationships are not kept: a legacy CKAN feature no page, search or harvester "
    "reads. Relate datasets with groups, tags or links in the description.)"
)

# Action name → why it is not supported (shown in the error, by help_show and in docs/api.md).
UNSUPPORTED: dict[str, str] = {
    "task_status_show": _TASK_STATUS,
    "task_status_update": _TASK_STATUS,
    "task_status_update_many": _TASK_STATUS,
    "task_status_delete": _TASK_STATUS,
    "term_translation_show": _TERM_TRANSLATION,
    "term_translation_update": _TERM_TRANSLATION,
    "term_translation_update_many": _TERM_TRANSLATION,
    "package_relationship_create": _RELATIONSHIPS,
    "package_relationship_update": _RELATIONSHIPS,
    "package_relationship_delete": _RELATIONSHIPS,
    "package_relationships_list": _RELATIONSHIPS,
}


def _refusal(name: str, reason: str) -> Action:
    def refuse(context: Context, data: dict[str, Any]) -> Any:
        raise NotSupported(name, reason)

    refuse.__name__ = name
    refuse.__doc__ = f"対応していません (Not supported). {reason}"
    return refuse


# Registered as reads: the answer is the same for GET and POST, and nothing ever changes.
for _name, _reason in UNSUPPORTED.items():
    action(_name)(_refusal(_name, _reason))
