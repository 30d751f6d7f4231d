"""Controlled dataset metadata: update frequency (更新頻度), spatial coverage by 全国地方公共団体コード,
temporal coverage typed in 和暦 or Western dates, the contact point, the declared 自治体標準
オープンデータセット, freshness (next_update_due) and URL names suggested from a Japanese title.

Each concern has its own module; `fields.clean_metadata` applies them all to a dataset's input.
"""
