"""The catalog search on PostgreSQL: the SearchBackend every app host can share.

Documents are built exactly as for the embedded engine (search/documents.py) and stored in
``search_document``; a query is parsed by the same parser and translated into SQL
(translate.py), ranked (ordering.py) and faceted (facets.py) by the embedded engine's rules.
A host keeps no index in memory: only the last revision it saw the shared index reach, so that
a request costs one query when nothing changed, and what only ever grows (the common facets'
values per seq, facet_cache.py, and confirmed phrases, phrase_cache.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from tsunagu.catalog.revision import current_revision
from tsunagu.rawjson import RawJSON
from tsunagu.search.interface import IndexedDataset, SearchQuery, SearchResult, Visibility
from tsunagu.search.postgres import facets, sync
from tsunagu.search.postgres.doc_copy import DocCopies
from tsunagu.search.postgres.facet_cache import FacetValues
from tsunagu.search.postgres.held_seqs import unpack_seqs
from tsunagu.search.postgres.in_process import VISIBILITY_KEYS, Found, InProcess
from tsunagu.search.postgres.ordering import Bound, order_by
from tsunagu.search.postgres.phrase_cache import PhraseSeqs
from tsunagu.search.postgres.rows import SEP
from tsunagu.search.postgres.term_seqs import TermSeqs
from tsunagu.search.postgres.translate import (
    Condition,
    Translator,
    parse_both,
    ranking_words,
    required_terms,
    visibility,
)
from tsunagu.search.query_parser import MatchAll

log = logging.getLogger(__name__)


@dataclass
class Statement:
    """One SQL statement of a search, kept so benchmarks can time the raw SQL alone."""

    sql: str
    params: dict[str, Any]


# work_mem of a search's transaction: its matches are materialised and sorted in memory.
WORK_MEM = "32MB"


class PostgresSearch:
    def __init__(self, engine: Engine, site_url: str) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError(
                "PostgreSQL の検索は PostgreSQL のデータベースでのみ使えます "
                "(the postgresql search backend needs a PostgreSQL database)"
            )
        self.engine = engine
        self.site_url = site_url
        # The highest revision this process has seen the shared index reach.
        self._seen = -1
        self._lock = threading.Lock()
        self.facet_values = FacetValues()
        self.phrases = PhraseSeqs()
        self.copies = DocCopies(engine)
        # Off, every search takes the SQL path (tests compare the two; benchmarks time it).
        self.answer_from_seqs = True
        self.in_process = InProcess(self.copies, TermSeqs(), self.phrases, self.facet_values)
        self.warming: threading.Thread | None = None  # started by load()

    # -- keeping in step with the database -------------------------------------------------

    def refresh(self, session: Session) -> None:
        wanted = current_revision(session)
        if wanted <= self._seen:
            return
        with self._lock:
            if wanted <= self._seen:  # another thread caught up meanwhile
                return
            with self.engine.connect() as connection:
                revision = sync.indexed_revision(connection)
                connection.commit()
                if revision < wanted:
                    # Another host may be at it: catch_up waits for its lock, then finds
                    # what is left (often nothing).
                    with connection.begin():
                        revision = sync.catch_up(connection, self.site_url)
            self._seen = max(self._seen, revision)

    def rebuild(self, session: Session) -> int:
        with self._lock, self.engine.begin() as connection:
            count = sync.rebuild(connection, self.site_url)
            self._seen = sync.indexed_revision(connection)
        return count

    def load(self, session: Session) -> int:
        """At a host's start: catch up (the index is shared and already built, unless this is
        the first host ever); returns the indexed dataset count."""
        self.refresh(session)
        with self.engine.connect() as connection:
            count = sync.document_count(connection)
        self.warming = threading.Thread(target=self._warm, name="search-warm", daemon=True)
        self.warming.start()
        return count

    def _warm(self) -> None:
        """Read in the background what a process's first searches would otherwise wait for:
        the common facets' values of every document (about 0.9 s at 100,000 datasets), which
        documents are active and which private, and the copy of the index (doc_copy.py)."""
        try:
            with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as (
                connection
            ):
                connection.execute(text(_settings(seqscan=False)))
                version = sync.version(connection)
                if version[0] < 0:
                    return
                self.facet_values.prime(connection, version[1])
                self.in_process.terms.get(connection, list(VISIBILITY_KEYS), version[1])
            self.copies.current(version, [])
        except Exception:  # each search reads what it needs itself
            log.exception("search warm-up failed")

    # -- reading ------------------------------------------------------------------------------

    def get(self, ref: str) -> IndexedDataset | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT id, name, owner_org, private, state, creator_user_id, raw"
                    " FROM search_document WHERE id = :ref OR name = :ref"
                    " ORDER BY (id = :ref) DESC LIMIT 1"
                ),
                {"ref": ref},
            ).first()
        if row is None:
            return None
        return IndexedDataset(
            id=row[0],
            name=row[1],
            owner_org=row[2],
            private=row[3],
            state=row[4],
            creator_user_id=row[5],
            raw=bytes(row[6]),
        )

    def plan(self, query: SearchQuery, connection: Connection) -> dict[str, Statement]:
        """The statements a search runs. Translating may itself read the index (term
        statistics, prefix expansion).

        Without q or fq, a public or whole-catalog search reads its count and facets from
        search_facet_count and runs one ``page`` statement. Any other search is one ``search``
        statement: the matching rows are found once (materialised), then counted, ordered for
        the page, their values of uncommon facets counted, and the seqs of all of them sent
        for the common facets, as parts 0, 1, 2 and 3 of its rows.
        """
        q_node, fq_node = parse_both(query.q, query.fq)
        cond = Condition()
        translator = Translator(cond, connection, self.phrases)
        where = (
            f"{visibility(cond, query.visibility)} AND {translator.sql(fq_node)}"
            f" AND {translator.sql(q_node)}"
        )
        keys, bound = order_by(
            cond, connection, query.sort, ranking_words(q_node), frozenset(required_terms(q_node))
        )
        facets.check_fields(query.facet_fields)
        page = f"LIMIT {int(query.rows)} OFFSET {int(query.start)}"
        scope = _scope(query.visibility) if q_node == fq_node == MatchAll() else None
        sql = {"settings": _settings(scope is not None or q_node == fq_node == MatchAll())}
        if scope is not None:
            sql["count"] = f"SELECT n FROM search_facet_count WHERE scope = {scope} AND key = ''"
            if query.rows > 0:
                # Ordered by seq alone, then joined for the package JSON (see below).
                order = ", ".join(f"{expr} {direction}" for expr, direction in keys)
                sql["page"] = (
                    "SELECT page.position, search_document.raw FROM (SELECT id_seq, row_number()"
                    " OVER () AS position FROM (SELECT search_document.seq AS id_seq"
                    f" FROM search_document WHERE {where} ORDER BY {order} {page}) AS top) AS page"
                    " JOIN search_document ON search_document.seq = page.id_seq"
                )
            if query.facet_fields:
                sql["facets"] = facets.stored(cond, scope, query.facet_fields)
        else:
            # The page's rows are chosen by seq and only their package JSON read: carried through
            # the materialised rows and the sort, it was fetched for every match.
            # With a Bound, the matches carry the bound of their relevance, not the relevance.
            carried = [(bound.lower, keys[0][1]), *keys[1:]] if bound else keys
            columns = ["search_document.seq AS id_seq"] + [
                f"{expr} AS o{i}" for i, (expr, _) in enumerate(carried)
            ]
            columns += facets.matched_columns(query.facet_fields)
            order = ", ".join(f"o{i} {direction}" for i, (_, direction) in enumerate(keys))
            parts = [
                "SELECT 0 AS part, count(*) AS n, CAST(NULL AS bytea) AS raw,"
                " CAST(NULL AS text) AS v FROM matched"
            ]
            if query.rows > 0:
                top = f"SELECT id_seq FROM matched ORDER BY {order} {page}"
                if bound is not None:
                    top = _bounded_top(keys, bound, query.start + query.rows, page)
                parts.append(
                    "SELECT 1, page.position, search_document.raw, NULL FROM"
                    f" (SELECT id_seq, row_number() OVER () AS position FROM ({top}) AS top)"
                    " AS page JOIN search_document ON search_document.seq = page.id_seq"
                )
            others = facets.over_matched(cond, query.facet_fields)
            if others:
                parts.append(f"SELECT 2, n, NULL, v FROM ({others}) AS f")
            if facets.common(query.facet_fields):
                parts.append(f"SELECT 3, NULL, ({facets.matched_seqs()}), NULL")
            sql["search"] = (
                f"WITH matched AS MATERIALIZED (SELECT {', '.join(columns)} FROM search_document"
                f" WHERE {where}) " + " UNION ALL ".join(parts)
            )
        return {name: Statement(text, cond.params) for name, text in sql.items()}

    def search(self, query: SearchQuery) -> SearchResult:
        # One snapshot for the whole search: the facet copy is topped up with the rows of the
        # matched seqs in the snapshot they were matched in.
        with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as (
            connection
        ):
            found = self._in_process(connection, query) or self._by_sql(connection, query)
            facet_counts, search_facets = facets.tally(
                connection,
                found.facet_rows,
                query.facet_fields,
                query.facet_limit,
                query.facet_mincount,
            )
        return SearchResult(
            count=found.count,
            results=[_render(raw, query.fl) for raw in found.raws],
            facets=facet_counts,
            search_facets=search_facets,
        )

    def _by_sql(self, connection: Connection, query: SearchQuery) -> Found:
        """The search by the SQL path: the statements of ``plan``."""
        statements = self.plan(query, connection)

        def run(name: str) -> Any:
            return connection.execute(text(statements[name].sql), statements[name].params)

        raws: list[bytes] = []
        facet_rows: list[tuple[str, str, int]] = []
        run("settings")
        if "search" in statements:
            total = 0
            page: list[tuple[int, bytes]] = []
            for part, n, raw, key in run("search"):
                if part == 0:
                    total = int(n)
                elif part == 1:
                    page.append((int(n), bytes(raw)))
                elif part == 2:
                    facet_rows.append((key.partition(SEP)[0], key, int(n)))
                elif raw is not None:
                    seqs = unpack_seqs(raw)
                    facet_rows += self.facet_values.counts(connection, seqs, query.facet_fields)
            raws = [raw for _, raw in sorted(page)]
        else:
            total = int(run("count").scalar() or 0)
            if "page" in statements and query.start < total:
                raws = [bytes(raw) for _, raw in sorted(run("page").all())]
            if "facets" in statements and total:
                facet_rows = [tuple(row) for row in run("facets")]  # type: ignore[misc]
        return Found(total, raws, facet_rows)

    def _in_process(self, connection: Connection, query: SearchQuery) -> Found | None:
        """The search from seqs (in_process.py), unless it has no q or fq and a stored count
        (search_facet_count) answers it, or this process's copy of the index is still being
        read."""
        q_node, fq_node = parse_both(query.q, query.fq)
        facets.check_fields(query.facet_fields)
        if not self.answer_from_seqs or (
            q_node == fq_node == MatchAll() and _scope(query.visibility) is not None
        ):
            return None
        connection.execute(text(_settings(seqscan=False)))
        return self.in_process.search(connection, query, q_node, fq_node)


def _settings(seqscan: bool) -> str:
    """Settings of a search's transaction. Matches are materialised and sorted in memory.
    A statement with words or filters has an index for each: PostgreSQL would otherwise scan
    every row for a common word, not counting that each row's term array must then be fetched
    from out-of-line storage (子育 at 20k datasets: 124 ms against ~10)."""
    return (
        f"SELECT set_config('work_mem', '{WORK_MEM}', true),"
        f" set_config('enable_seqscan', '{'on' if seqscan else 'off'}', true)"
    )


def _bounded_top(keys: list[tuple[str, str]], bound: Bound, last: int, page: str) -> str:
    """The page's seqs when the matches carry a lower bound of their relevance (o0): the exact
    relevance is computed only for the matches whose bound plus its slack reaches the bound of
    the page's last row (the ``last``-th highest bound; at least that many matches score at least
    that much). Every other match scores less than all of those, so cannot be on the page."""
    order = ", ".join(
        [f"{keys[0][0]} DESC"]
        + [f"matched.o{i} {direction}" for i, (_, direction) in enumerate(keys) if i > 0]
    )
    reach = (
        f"COALESCE((SELECT o0 FROM matched ORDER BY o0 DESC LIMIT 1 OFFSET {int(last) - 1}),"
        " CAST('-Infinity' AS float8))"
    )
    return (
        "SELECT matched.id_seq FROM matched JOIN search_document"
        f" ON search_document.seq = matched.id_seq WHERE matched.o0 + {bound.slack} >= {reach}"
        f" ORDER BY {order} {page}"
    )


def _scope(seen: Visibility) -> int | None:
    """The search_facet_count scope that is exactly what the caller sees, if there is one."""
    sees_drafts = seen.include_drafts and (
        seen.all_private or seen.draft_orgs or seen.draft_datasets or seen.user_id
    )
    if sees_drafts:
        return None
    if seen.all_private:
        return sync.ACTIVE
    if not (seen.private_orgs or seen.private_datasets):
        return sync.PUBLIC
    return None


def _render(raw: bytes, fl: list[str] | None) -> Any:
    if fl is None:
        return RawJSON(raw)
    package = orjson.loads(raw)
    return {key: package.get(key) for key in fl}
