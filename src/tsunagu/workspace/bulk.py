"""Changing many datasets at once (the staff table's bulk actions): what would change, then the
change.

Each dataset of a selection is judged on its own. One the caller may not change is skipped and
listed with the reason, never changed; one the caller may not even see is listed by the
reference the caller gave and nothing else, so a selection cannot be used to learn names. The
others change one at a time, each like a single edit: its own revision (search shows it at
once), its activity entry, and the checks that run when a dataset is saved. When such a check
refuses one dataset (the personal-data guard, for a dataset about to become public with blocked
personal data), that dataset's change is rolled back alone, by a savepoint, and it is listed as
skipped with the guard's findings; the rest still change.

``preview`` answers "what would change" without changing anything (the confirmation page);
``run`` makes the change and says what did. ``run`` locks every selected dataset first, in id
order, and only then takes the catalog revision counter (each dataset's change bumps it), the
order every dataset write follows, so bulk changes and single edits wait for each other instead
of deadlocking on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import or_, select

from tsunagu.catalog import authz
from tsunagu.catalog.models import Dataset
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, ValidationError
from tsunagu.storage.upsert import begin_write

# At most this many datasets per call: one transaction holds all their locks.
MAX_DATASETS = 1000

# Why a dataset was skipped.
NOT_FOUND = "not_found"  # unknown, deleted, or not visible to the caller (not told apart)
NOT_AUTHORIZED = "not_authorized"  # visible, but the caller may not make this change
REFUSED = "refused"  # the change was refused when saved (e.g. the personal-data guard)


class Operation(Protocol):
    """One kind of bulk change, with its parameters already checked."""

    name: str

    def refusal(self, context: Context, dataset: Dataset) -> str | None:
        """Why the caller may not make this change to the dataset (None: they may)."""

    def change(self, context: Context, dataset: Dataset) -> dict[str, Any] | None:
        """What would change, as data (None: nothing, the dataset already is so)."""

    def apply(self, context: Context, dataset: Dataset) -> None:
        """Make the change, recording it as every dataset change is recorded."""


@dataclass
class Item:
    ref: str
    id: str | None = None
    name: str | None = None
    title: str | None = None
    change: dict[str, Any] | None = None
    reason: str | None = None
    messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        if self.id is None:
            return {"ref": self.ref, "reason": self.reason, "messages": self.messages}
        shown: dict[str, Any] = {"ref": self.ref, "id": self.id, "name": self.name}
        shown["title"] = self.title
        if self.change is not None:
            shown["change"] = self.change
        if self.reason is not None:
            shown["reason"] = self.reason
            shown["messages"] = self.messages
        return shown


@dataclass
class Outcome:
    operation: str
    changed: list[Item] = field(default_factory=list)  # would change, in a preview
    unchanged: list[Item] = field(default_factory=list)
    skipped: list[Item] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "changed": [i.as_dict() for i in self.changed],
            "unchanged": [i.as_dict() for i in self.unchanged],
            "skipped": [i.as_dict() for i in self.skipped],
        }

    def refused_entirely(self) -> bool:
        """Nothing in the selection was the caller's to change (the API answers 403)."""
        return (
            not self.changed
            and not self.unchanged
            and any(i.reason == NOT_AUTHORIZED for i in self.skipped)
            and all(i.reason in (NOT_AUTHORIZED, NOT_FOUND) for i in self.skipped)
        )


def selection(data: dict[str, Any]) -> list[str]:
    """The ``datasets`` parameter: ids or names, in the order given, without repeats."""
    refs = data.get("datasets")
    if isinstance(refs, str):
        refs = [r for r in refs.split(",") if r.strip()]
    # A NUL cannot be in any id or name (and PostgreSQL refuses it in a query): a form post
    # carrying one is bad input, not a server error.
    if not isinstance(refs, list) or not all(isinstance(r, str) and "\x00" not in r for r in refs):
        raise ValidationError(
            {"datasets": ["データセット id のリストで指定してください (Must be a list of ids)"]}
        )
    cleaned = list(dict.fromkeys(r.strip() for r in refs if r.strip()))
    if not cleaned:
        raise ValidationError({"datasets": ["データセットを選んでください (Missing value)"]})
    if len(cleaned) > MAX_DATASETS:
        raise ValidationError(
            {
                "datasets": [
                    f"一度に変更できるのは {MAX_DATASETS} 件までです "
                    f"(At most {MAX_DATASETS} datasets at a time)"
                ]
            }
        )
    return cleaned


def _datasets(context: Context, refs: list[str], *, lock: bool) -> dict[str, Dataset]:
    """The selected datasets by every ref that names them; locked (id order) when ``lock``."""
    statement = (
        select(Dataset)
        .where(or_(Dataset.id.in_(refs), Dataset.name.in_(refs)))
        .order_by(Dataset.id)
    )
    if lock:
        begin_write(context.session)
        statement = statement.with_for_update().execution_options(populate_existing=True)
    found: dict[str, Dataset] = {}
    for dataset in context.session.scalars(statement):
        found[dataset.id] = dataset
        found.setdefault(dataset.name, dataset)
    return found


def _visible(context: Context, dataset: Dataset | None) -> bool:
    return (
        dataset is not None
        and dataset.state != "deleted"
        and authz.can_read_dataset(
            context,
            dataset.owner_org,
            dataset.private,
            dataset.state,
            dataset.creator_user_id,
            dataset.id,
        )
    )


def _judge(
    context: Context,
    operation: Operation,
    refs: list[str],
    found: dict[str, Dataset],
    outcome: Outcome,
    then: Callable[[Dataset, Item], None],
) -> None:
    seen: set[str] = set()
    for ref in refs:
        dataset = found.get(ref)
        if dataset is None or not _visible(context, dataset):
            outcome.skipped.append(
                Item(
                    ref,
                    reason=NOT_FOUND,
                    messages=["見つからないか、見る権限がありません (Not found or not authorized)"],
                )
            )
            continue
        if dataset.id in seen:
            continue  # named twice (by id and by name)
        seen.add(dataset.id)
        item = Item(ref, dataset.id, dataset.name, dataset.title or dataset.name)
        if (why := operation.refusal(context, dataset)) is not None:
            item.reason, item.messages = NOT_AUTHORIZED, [why]
            outcome.skipped.append(item)
            continue
        item.change = operation.change(context, dataset)
        if item.change is None:
            outcome.unchanged.append(item)
            continue
        then(dataset, item)


def preview(context: Context, operation: Operation, refs: list[str]) -> Outcome:
    """What ``run`` would do now (nothing is changed)."""
    outcome = Outcome(operation.name)
    found = _datasets(context, refs, lock=False)
    _judge(context, operation, refs, found, outcome, lambda _d, item: outcome.changed.append(item))
    return outcome


def run(context: Context, operation: Operation, refs: list[str]) -> Outcome:
    """Make the change to every dataset of the selection the caller may change."""
    outcome = Outcome(operation.name)
    found = _datasets(context, refs, lock=True)

    def apply(dataset: Dataset, item: Item) -> None:
        try:
            with context.session.begin_nested():
                operation.apply(context, dataset)
        except ValidationError as error:
            item.change, item.reason = None, REFUSED
            item.messages = [m for messages in error.errors.values() for m in messages]
            outcome.skipped.append(item)
        except NotAuthorized as error:
            item.change, item.reason, item.messages = None, NOT_AUTHORIZED, [error.message]
            outcome.skipped.append(item)
        else:
            outcome.changed.append(item)

    _judge(context, operation, refs, found, outcome, apply)
    return outcome
