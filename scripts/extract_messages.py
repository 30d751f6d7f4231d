"""List every UI message id (the Japanese text) that the portal translates.

Ids come from three places:

* ``_("…")`` / ``_('…')`` calls in the Jinja2 templates, found with Jinja2's own parser and
  gettext extractor (``jinja2.ext.extract_from_ast``);
* string literals inside dict/list/tuple literals (and conditional expressions) that a template
  passes to ``_()``, e.g. ``_({"new package": "作成", …}.get(a.activity_type))``: the values are
  ids, the keys are not;
* Python constants the views hand to templates that translate them: ``FACET_TITLES``, ``SORTS``
  and ``TYPE_LABELS`` values, the 要対応 lines' labels and item messages (their sources declare
  them, see workspace/attention/registry.py), the dashboards' metric labels and units
  (metrics/registry.py), and string literals passed as keyword arguments to ``render()``
  under a name that some template translates as ``_(name)`` (e.g. the login ``error=``).

Usage::

    python scripts/extract_messages.py           # sorted unique ids, one a line
    python scripts/extract_messages.py --check   # exit 1 if en.json lacks ids or has stale ones
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from jinja2 import nodes
from jinja2.ext import extract_from_ast

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "src" / "tsunagu" / "web"
TEMPLATES = WEB / "templates"
VIEWS = WEB / "views"
LOCALES = WEB / "locales"
GETTEXT = ("_",)

if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))


def _environment():  # type: ignore[no-untyped-def]
    """The portal's own Jinja2 environment, so templates parse exactly as they render."""
    from tsunagu.web.templating import environment

    return environment


def template_files() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def _is_gettext_call(node: nodes.Node) -> bool:
    return (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name in GETTEXT
    )


def _literal_ids(node: nodes.Node) -> Iterator[str]:
    """Strings in a literal passed to ``_()`` that end up as the message: dict values, list and
    tuple items, both branches of ``a if c else b``, the dict of ``{…}[key]`` / ``{…}.get(key,
    default)`` and the default. Dict keys and lookup keys are not messages."""
    if isinstance(node, nodes.Const):
        if isinstance(node.value, str):
            yield node.value
    elif isinstance(node, nodes.Dict):
        for pair in node.items:
            yield from _literal_ids(pair.value)
    elif isinstance(node, nodes.List | nodes.Tuple):
        for item in node.items:
            yield from _literal_ids(item)
    elif isinstance(node, nodes.CondExpr):
        yield from _literal_ids(node.expr1)
        if node.expr2 is not None:
            yield from _literal_ids(node.expr2)
    elif isinstance(node, nodes.Getitem):
        yield from _literal_ids(node.node)
    elif (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Getattr)
        and node.node.attr == "get"
    ):
        yield from _literal_ids(node.node.node)
        for default in node.args[1:2]:
            yield from _literal_ids(default)


def template_ids(source: str, name: str | None = None) -> tuple[set[str], set[str]]:
    """The ids in one template, and the plain names it translates dynamically (``_(error)``)."""
    tree = _environment().parse(source, name=name)
    ids: set[str] = set()
    # Direct calls: _("…") and _("{n} 件", n=…); the id is the first positional string.
    for _lineno, _func, strings in extract_from_ast(tree, GETTEXT, babel_style=False):
        call_strings = strings if isinstance(strings, tuple) else (strings,)
        if call_strings and isinstance(call_strings[0], str):
            ids.add(call_strings[0])
    dynamic_names: set[str] = set()
    for call in tree.find_all(nodes.Call):
        if not _is_gettext_call(call) or not call.args:
            continue
        first = call.args[0]
        if isinstance(first, nodes.Const):
            continue
        ids.update(_literal_ids(first))
        if isinstance(first, nodes.Name):
            dynamic_names.add(first.name)
    return ids, dynamic_names


def view_constant_ids() -> set[str]:
    """Labels the views define and templates translate with ``_(label)``."""
    from tsunagu.web.views import (
        dashboards,
        harvest,
        plan_staff,
        public,
        staff,
        workspace_home,
    )

    ids: set[str] = set()
    for mapping in (public.FACET_TITLES, public.SORTS, staff.TYPE_LABELS):
        ids.update(mapping.values())
    ids.update(workspace_home.attention_message_ids())
    ids.update(harvest.label_ids())
    ids.update(dashboards.label_ids())  # metric labels and units, kinds, ★ labels
    ids.update(plan_staff.label_ids())  # directions, the national plan's categories
    return ids


def view_keyword_ids(names: Iterable[str]) -> set[str]:
    """String literals the views pass to ``render()`` as a keyword a template translates, e.g.
    ``render(…, error="ユーザー名またはパスワードが違います。")`` with ``_(error)`` in login.html."""
    wanted = set(names)
    ids: set[str] = set()
    for path in sorted(VIEWS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called != "render":
                continue
            for keyword in call.keywords:
                value = keyword.value
                if (
                    keyword.arg in wanted
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                    and value.value
                ):
                    ids.add(value.value)
    return ids


def extract_ids() -> list[str]:
    ids: set[str] = set()
    dynamic_names: set[str] = set()
    for path in template_files():
        found, names = template_ids(
            path.read_text(encoding="utf-8"), path.relative_to(TEMPLATES).as_posix()
        )
        ids |= found
        dynamic_names |= names
    ids |= view_constant_ids()
    ids |= view_keyword_ids(dynamic_names)
    return sorted(i for i in ids if i)


def load_catalog(language: str = "en") -> dict[str, str]:
    path = LOCALES / f"{language}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def check(ids: list[str], catalog: dict[str, str]) -> list[str]:
    """Problems as lines of text: ids without a translation, translations no id uses."""
    problems = [f"missing: {i}" for i in ids if not catalog.get(i, "").strip()]
    used = set(ids)
    problems += [f"stale: {k}" for k in sorted(catalog) if k not in used]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 listing ids missing from the catalog and catalog entries no longer used",
    )
    parser.add_argument("--lang", default="en", help="catalog to check (default: en)")
    args = parser.parse_args(argv)
    ids = extract_ids()
    if not args.check:
        sys.stdout.write("".join(f"{i}\n" for i in ids))
        return 0
    problems = check(ids, load_catalog(args.lang))
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} problem(s) in {args.lang}.json", file=sys.stderr)
        return 1
    print(f"{len(ids)} ids, all translated in {args.lang}.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
