"""The dict operations behind package_revise: matching, glob filtering and merging of nested
dataset dicts, addressed by "flattened keys" such as ``resources__1__name`` or
``resources__1f9ab__url`` (a list item by index, negative from the end, or by the first five or
more characters of its id), as CKAN's package_revise documents them."""

from __future__ import annotations

from typing import Any

Path = tuple[str | int, ...]
MIN_ID_PREFIX = 5


class RevisionError(Exception):
    """A key that does not fit the data (missing, or a list where a dict was expected …)."""


def _label(path: Path) -> str:
    return "__".join(str(p) for p in path)


def _list_index(items: list[Any], part: str, path: Path) -> int:
    """The position of `part` in a list: an index (negative from the end) or an id prefix."""
    if len(part) >= MIN_ID_PREFIX:
        for position, item in enumerate(items):
            if not isinstance(item, dict) or "id" not in item:
                break
            if str(item["id"]).startswith(part):
                return position
        raise RevisionError(f"Unmatched key {_label((*path, part))}")
    try:
        index = int(part)
    except ValueError:
        raise RevisionError(f"Unmatched key {_label((*path, part))}") from None
    if not -len(items) <= index < len(items):
        raise RevisionError(f"Unmatched key {_label((*path, part))}")
    return index % len(items)


def resolve(data: Any, key: str) -> tuple[Any, Path]:
    """The value a flattened key points at, and its path with list positions resolved."""
    current, path = data, ()
    for part in key.split("__"):
        if isinstance(current, dict):
            if part not in current:
                raise RevisionError(f"Unmatched key {_label((*path, part))}")
            current, path = current[part], (*path, part)
        elif isinstance(current, list):
            index = _list_index(current, part, path)
            current, path = current[index], (*path, index)
        else:
            raise RevisionError(f"Unmatched key {_label((*path, part))}")
    return current, path


def mismatches(actual: Any, expected: Any, path: Path = ()) -> list[Path]:
    """Paths where `expected` (a partial dict/list) differs from `actual`."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [path]
        found: list[Path] = []
        for key in sorted(expected):
            if key not in actual:
                found.append((*path, key))
            else:
                found += mismatches(actual[key], expected[key], (*path, key))
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [path]
        found = []
        for index, item in enumerate(expected):
            if index >= len(actual):
                found.append((*path, index))
            else:
                found += mismatches(actual[index], item, (*path, index))
        return found
    return [] if actual == expected else [path]


def key_mismatches(data: dict[str, Any], key: str, expected: Any) -> list[Path]:
    current, path = resolve(data, key)
    return mismatches(current, expected, path)


def filter_globs(data: Any, patterns: list[str]) -> None:
    """Remove parts of `data` in place. Each pattern is a flattened key whose parts may be
    ``*``; ``-`` removes what it matches, ``+`` protects it from later removals at the same
    level (the first pattern that names an item decides)."""
    _filter(data, [(p.startswith("+"), p.lstrip("+-").split("__")) for p in patterns])


def _filter(data: Any, globs: list[tuple[bool, list[str]]]) -> None:
    if isinstance(data, dict):
        keep: set[str] = set()
        drop: set[str] = set()
        deeper: dict[str, list[tuple[bool, list[str]]]] = {}
        for protect, parts in globs:
            head, rest = parts[0], parts[1:]
            names = list(data) if head == "*" else ([head] if head in data else [])
            for name in names:
                if rest:
                    deeper.setdefault(name, []).append((protect, rest))
                elif name not in keep and name not in drop:
                    (keep if protect else drop).add(name)
        for name in drop:
            del data[name]
        for name, child in deeper.items():
            if name in data:
                _filter(data[name], child)
        return
    if not isinstance(data, list):
        return
    keep_i: set[int] = set()
    drop_i: set[int] = set()
    deeper_i: dict[int, list[tuple[bool, list[str]]]] = {}
    for protect, parts in globs:
        head, rest = parts[0], parts[1:]
        if head == "*":
            indexes = list(range(len(data)))
        else:
            try:
                indexes = [_list_index(data, head, ())]
            except RevisionError:
                indexes = []
        for index in indexes:
            if rest:
                deeper_i.setdefault(index, []).append((protect, rest))
            elif index not in keep_i and index not in drop_i:
                (keep_i if protect else drop_i).add(index)
    for index, child in deeper_i.items():
        if index not in drop_i:
            _filter(data[index], child)
    data[:] = [item for index, item in enumerate(data) if index not in drop_i]


def merge(target: Any, update: Any, path: Path = ()) -> None:
    """Merge `update` into `target` in place: dicts key by key, lists item by item (extra
    items appended), anything else replaced."""
    if isinstance(target, dict):
        if not isinstance(update, dict):
            raise RevisionError(f"Expected dict for {_label(path)}")
        for key, value in update.items():
            if key in target and isinstance(target[key], (dict, list)):
                merge(target[key], value, (*path, key))
            else:
                target[key] = value
        return
    if not isinstance(update, list):
        raise RevisionError(f"Expected list for {_label(path)}")
    for index, value in enumerate(update):
        if index >= len(target):
            target.append(value)
        elif isinstance(target[index], (dict, list)):
            merge(target[index], value, (*path, index))
        else:
            target[index] = value


def merge_key(data: dict[str, Any], key: str, value: Any) -> None:
    """Set or merge `value` at a flattened key; ``…__extend`` appends a list's items."""
    *parents, last = key.split("__")
    parent, path = resolve(data, "__".join(parents)) if parents else (data, ())
    if isinstance(parent, dict):
        merge(parent, {last: value}, path)
        return
    if not isinstance(parent, list):
        raise RevisionError(f"Expected list or dict for {_label(path)}")
    if last == "extend":
        if not isinstance(value, list):
            raise RevisionError(f"Expected list for {_label(path)}")
        parent.extend(value)
        return
    index = _list_index(parent, last, path)
    if isinstance(parent[index], (dict, list)):
        merge(parent[index], value, (*path, index))
    else:
        parent[index] = value
