"""Keeping the shared index in step with the catalog: catch-up by revision, and full rebuilds.

Every host runs the same catch-up as the embedded engine (datasets whose revision is past the
indexed one, and datasets purged since), but the result is written once, to shared tables, in a
transaction of its own that holds an advisory lock: hosts take turns, and a host that waited
finds the work done. Only committed catalog changes are indexed, so an index row never outlives
a rolled-back write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, delete, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from tsunagu.catalog.dictize import package_dicts
from tsunagu.catalog.models import Dataset, PurgedDataset
from tsunagu.catalog.revision import current_revision
from tsunagu.catalog.tags import vocabulary_names
from tsunagu.search.documents import IndexDocument, build_document
from tsunagu.search.postgres.models import (
    SearchDocument,
    SearchFacetCount,
    SearchFacetTitle,
    SearchState,
    SearchTerm,
)
from tsunagu.search.postgres.rows import document_row, facet_titles

# pg_advisory_xact_lock key of index writers: "tsunagu search" folded into a bigint.
LOCK_KEY = 0x7473_756E_6167_75
BATCH = 2000
_documents = SearchDocument.__table__
_terms = SearchTerm.__table__
_state = SearchState.__table__
_titles = SearchFacetTitle.__table__
_counts = SearchFacetCount.__table__
# Scopes of search_facet_count (see its model).
PUBLIC, ACTIVE, INDEXED = 0, 1, 2


def counted(vals: list[str]) -> list[str]:
    """The keys search_facet_count keeps: every document's own id and name are no facet."""
    return [key for key in vals if not key.startswith(_UNCOUNTED)]


_UNCOUNTED = ("id\x1f", "name\x1f")


def scopes(state: str, private: bool) -> tuple[int, ...]:
    if state != "active":
        return (INDEXED,)
    return (INDEXED, ACTIVE) if private else (INDEXED, ACTIVE, PUBLIC)


def lock(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def indexed_revision(connection: Connection) -> int:
    """The catalog revision the shared index has caught up to; -1 before its first build."""
    value = connection.scalar(select(_state.c.revision).where(_state.c.id == 1))
    return -1 if value is None else int(value)


def _state_row(connection: Connection) -> tuple[int, int, int]:
    row = connection.execute(
        select(_state.c.revision, _state.c.documents, _state.c.seq).where(_state.c.id == 1)
    ).first()
    if row is None:
        return -1, 0, 0
    return int(row[0]), int(row[1]), int(row[2])


def _save_state(connection: Connection, revision: int, documents: int, seq: int) -> None:
    values = {"revision": revision, "documents": documents, "seq": seq}
    statement = pg_insert(_state).values(id=1, **values)
    connection.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))


class _Writer:
    """Adds and removes documents, keeping the term statistics and the document count exact."""

    def __init__(self, connection: Connection, documents: int, seq: int) -> None:
        self.connection = connection
        self.documents = documents
        self.seq = seq
        self.title_delta: Counter[str] = Counter()
        self.body_delta: Counter[str] = Counter()
        self.value_delta: Counter[tuple[int, str]] = Counter()
        self.shown: dict[str, str] = {}

    def remove(self, dataset_ids: list[str]) -> None:
        if not dataset_ids:
            return
        removed = self.connection.execute(
            delete(_documents)
            .where(_documents.c.id.in_(dataset_ids))
            .returning(
                _documents.c.title_terms,
                _documents.c.body_terms,
                _documents.c.vals,
                _documents.c.state,
                _documents.c.private,
            )
        ).all()
        for title_terms, body_terms, vals, state, private in removed:
            self.title_delta.subtract(title_terms)
            self.body_delta.subtract(body_terms)
            for scope in scopes(state, private):
                self.value_delta.subtract((scope, key) for key in ("", *counted(vals)))
        self.documents -= len(removed)

    def add(self, docs: Iterable[IndexDocument]) -> None:
        rows = []
        titles: dict[tuple[str, str], dict[str, str]] = {}
        for doc in docs:
            self.seq += 1
            row = document_row(doc, self.seq)
            rows.append(row)
            self.title_delta.update(doc.title_terms)
            self.body_delta.update(doc.body_terms)
            for scope in scopes(doc.state, doc.private):
                self.value_delta.update((scope, key) for key in ("", *counted(row["vals"])))
            for key, shown in zip(row["vals"], row["shown"], strict=True):
                self.shown.setdefault(key, shown)
            for item in facet_titles(doc):
                titles[(item["field"], item["value"])] = item  # the latest indexed wins
        if rows:
            self.connection.execute(insert(_documents), rows)
            self.documents += len(rows)
        if titles:
            statement = pg_insert(_titles)
            self.connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["field", "value"], set_={"title": statement.excluded.title}
                ),
                list(titles.values()),
            )

    def flush(self) -> None:
        self._flush_terms()
        self._flush_counts()

    def _flush_counts(self) -> None:
        changes = [
            {"scope": scope, "key": key, "shown": self.shown.get(key, key), "n": n}
            for (scope, key), n in sorted(self.value_delta.items())
            if n
        ]
        self.value_delta.clear()
        self.shown.clear()
        if not changes:
            return
        statement = pg_insert(_counts)
        # A value keeps the display form it was first indexed with, as in the embedded engine.
        upsert = statement.on_conflict_do_update(
            index_elements=["scope", "key"], set_={"n": _counts.c.n + statement.excluded.n}
        )
        for start in range(0, len(changes), 5000):
            self.connection.execute(upsert, changes[start : start + 5000])
        if any(change["n"] < 0 for change in changes):
            self.connection.execute(delete(_counts).where(_counts.c.n <= 0))

    def _flush_terms(self) -> None:
        terms = set(self.title_delta) | set(self.body_delta)
        changes = [
            {"term": t, "title_df": self.title_delta[t], "body_df": self.body_delta[t]}
            for t in sorted(terms)
            if self.title_delta[t] or self.body_delta[t]
        ]
        self.title_delta.clear()
        self.body_delta.clear()
        if not changes:
            return
        statement = pg_insert(_terms)
        for start in range(0, len(changes), 5000):
            self.connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["term"],
                    set_={
                        "title_df": _terms.c.title_df + statement.excluded.title_df,
                        "body_df": _terms.c.body_df + statement.excluded.body_df,
                    },
                ),
                changes[start : start + 5000],
            )
        gone = [c["term"] for c in changes if c["title_df"] < 0 or c["body_df"] < 0]
        if gone:
            self.connection.execute(
                delete(_terms).where(
                    _terms.c.term.in_(bindparam("gone", expanding=True)),
                    _terms.c.title_df <= 0,
                    _terms.c.body_df <= 0,
                ),
                {"gone": gone},
            )


def catch_up(connection: Connection, site_url: str) -> int:
    """Index every committed change past the shared index's revision; returns the revision the
    index now stands at. The caller commits."""
    lock(connection)
    revision, documents, seq = _state_row(connection)
    session = Session(bind=connection)
    latest = current_revision(session)
    if revision < 0:
        return rebuild_locked(connection, site_url)
    if latest <= revision:
        return revision
    rows = session.execute(
        select(Dataset.id, Dataset.state).where(Dataset.revision > revision)
    ).all()
    purged = list(
        session.scalars(select(PurgedDataset.dataset_id).where(PurgedDataset.revision > revision))
    )
    writer = _Writer(connection, documents, seq)
    writer.remove(purged + [dataset_id for dataset_id, _ in rows])
    live = [dataset_id for dataset_id, state in rows if state != "deleted"]
    vocabularies = vocabulary_names(session) if live else {}
    # The same calls, in the same order, as the embedded engine: documents get their seq in
    # the order that engine gives docids, so score ties break alike.
    # package_dicts reads in batches of 500, so batches of 2000 keep its order.
    for start in range(0, len(live), BATCH):
        packages = package_dicts(session, live[start : start + BATCH], site_url)
        writer.add(build_document(package, vocabularies) for package in packages.values())
    writer.flush()
    _save_state(connection, max(revision, latest), writer.documents, writer.seq)
    return max(revision, latest)


def rebuild_locked(connection: Connection, site_url: str) -> int:
    """Reindex every dataset, in batches; readers see the previous index until the commit."""
    session = Session(bind=connection)
    revision = current_revision(session)
    ids = list(session.scalars(select(Dataset.id).where(Dataset.state != "deleted")))
    vocabularies = vocabulary_names(session)
    connection.execute(delete(_documents))
    connection.execute(delete(_terms))
    connection.execute(delete(_titles))
    connection.execute(delete(_counts))
    # Seqs carry on from the last one: a seq always means the same document content, which the
    # facet copies of every process rely on (facet_cache.py).
    writer = _Writer(connection, 0, _state_row(connection)[2])
    for start in range(0, len(ids), BATCH):
        batch = package_dicts(session, ids[start : start + BATCH], site_url)
        writer.add(build_document(package, vocabularies) for package in batch.values())
    writer.flush()
    _save_state(connection, revision, writer.documents, writer.seq)
    return revision


def rebuild(connection: Connection, site_url: str) -> int:
    """Reindex everything; returns the document count. The caller commits."""
    lock(connection)
    rebuild_locked(connection, site_url)
    return _state_row(connection)[1]


def document_count(connection: Connection) -> int:
    return _state_row(connection)[1]


def version(connection: Connection) -> tuple[int, int]:
    """The shared index's revision and last seq, which together name what it holds (a rebuild
    keeps the revision but gives every document a new seq); (-1, 0) before its first build."""
    revision, _, seq = _state_row(connection)
    return revision, seq


def last_seq(connection: Connection) -> int:
    """The last seq the shared index gave a document (0 before its first build)."""
    return _state_row(connection)[2]
