"""Community: data requests (データ要望, ニーズ調査) and 活用事例 (use cases, in ckanext-showcase's
API shape). Models in models.py; who handles what in rights.py; spam limits in spam.py; actions
in request_actions.py and showcase_actions.py; the staff home's line in attention.py; the
catalog metrics they feed in metrics.py."""
