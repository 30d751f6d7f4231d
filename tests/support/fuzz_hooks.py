"""Schemathesis hooks (loaded with SCHEMATHESIS_HOOKS=support.fuzz_hooks) that make the fuzzer
send the parameters actions really read.

The OpenAPI document says only "an object" for every action, so on its own the fuzzer would send
random keys that every action ignores. These hooks add keys drawn from the names the source reads
(``data.get("id")``, ``as_int(data, "limit", ...)``, ...) with values of every JSON type, mixed
with the names and ids of real objects the test created (TSUNAGU_FUZZ_VALUES, a JSON list), so
the generated calls reach past "not found" into the actions' own code.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import strategies as st

SOURCE = Path(__file__).resolve().parents[2] / "src" / "tsunagu"
_READ = re.compile(
    r"""(?:data\.get\(|data\[|\(data,\s*|data\.pop\(|params\.get\()"([a-z_.]+)"|"([a-z_.]+)" in data\b"""
)
# CKAN parameters read through helpers with other argument names.
_COMMON = re.findall(
    r"\S+",
    "id name q fq rows start limit offset sort all_fields include_private include_drafts "
    "resource_id package_id owner_org records filters fields sql plain distinct total "
    "include_total records_format method force ignore_auth type user username role object "
    "object_type capacity group_id organization_id title notes url tags extras resources "
    "groups state private license_id include_datasets include_users include_extras "
    "include_tags include_groups include_followers order_by permission facet.field "
    "facet.limit facet.mincount query key value keys use_default_schema",
)


@functools.cache  # read once: the hooks ask again for every operation
def _names_in(path: Path) -> frozenset[str]:
    text = path.read_text(encoding="utf-8")
    return frozenset({a or b for a, b in _READ.findall(text)} - {"", "__"})


ALL_NAMES = sorted({n for path in SOURCE.rglob("*.py") for n in _names_in(path)}.union(_COMMON))
REAL = [str(v) for v in json.loads(os.environ.get("TSUNAGU_FUZZ_VALUES", "[]"))]


def names_for(operation: Any) -> st.SearchStrategy[str]:
    """Names the action's own module reads, names its domain package (catalog, datastore, ...)
    reads, and any name at all, in equal parts."""
    return _names_of_action(str(getattr(operation, "path", "")).rsplit("/", 1)[-1])


@functools.cache  # GET and POST of an action, body and query: one strategy, built once
def _names_of_action(action: str) -> st.SearchStrategy[str]:
    try:
        from tsunagu.registry import get_action

        path = Path(inspect.getfile(get_action(action)))
    except Exception:  # not one of ours (yet): any name
        return st.sampled_from(ALL_NAMES)
    domain = SOURCE / path.relative_to(SOURCE).parts[0]
    own = sorted(_names_in(path) | {"id"})
    nearby = sorted({n for p in domain.rglob("*.py") for n in _names_in(p)} | {"id"})
    return st.one_of(st.sampled_from(own), st.sampled_from(nearby), st.sampled_from(ALL_NAMES))


_text = st.one_of(
    st.sampled_from(REAL) if REAL else st.nothing(),
    st.text(max_size=30),
    st.sampled_from(["", " ", "*:*", "true", "-1", "0", "1e309", "null", "[]", "{}", "../x"]),
    # Longer than the short columns (names, types, states, keys) hold.
    st.sampled_from(["x" * 301, "あ" * 301]),
)
_scalar = st.one_of(
    _text,
    # Edges of the integer types that databases and libraries store.
    st.sampled_from([2**31, 2**63 - 1, 2**63, 2**64 - 1, -(2**63) - 1, 1e300, -0.5]),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
_json = st.recursive(
    _scalar,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(ALL_NAMES), inner, max_size=3)
    ),
    max_leaves=8,
)
# Ids and names of real objects half the time, so calls get past "not found".
_value = st.one_of(st.sampled_from(REAL), _json) if REAL else _json
# Query strings and form fields carry only text (a repeated key becomes a list).
_query_value = st.one_of(_text, st.lists(_text, min_size=2, max_size=3))


def _merged(generated: Any, known: dict[str, Any]) -> Any:
    if isinstance(generated, dict):
        return {**generated, **known}
    return generated  # a non-object body is fuzzing the body itself: keep it as it is


@schemathesis.hook
def before_generate_body(context: Any, strategy: st.SearchStrategy) -> st.SearchStrategy:
    names = names_for(context.operation)
    known = st.dictionaries(names, _value, max_size=5)
    return st.one_of(strategy, st.builds(_merged, strategy, known))


@schemathesis.hook
def before_generate_query(context: Any, strategy: st.SearchStrategy) -> st.SearchStrategy:
    names = names_for(context.operation)
    known = st.dictionaries(names, _query_value, max_size=5)

    def with_known(query: Any, extra: dict[str, Any]) -> Any:
        if not isinstance(query, dict):
            return query
        params = query.get("params")
        merged = {**params, **extra} if isinstance(params, dict) else extra
        return {**query, "params": merged}

    return st.one_of(strategy, st.builds(with_known, strategy, known))
