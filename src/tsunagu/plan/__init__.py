"""Plans and KPIs (計画・施策・指標・工程表): a prefecture's 官民データ活用推進計画 or ICT plan as
a tree of measures with indicators, baselines, targets, actual values and yearly stages, edited
through actions, imported from the tables prefectures keep and exported for the yearly PDCA
report."""
