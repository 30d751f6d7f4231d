"""The raw SQLite baseline of benchmarks/search.py: plain SQLite answering the same package_search
queries as the in-memory index, with indexes built for them.

It does the engine's work the SQL way, so that the two give the same counts and the time ratio
compares like with like:

- the same text: every document's normalised text (NFKC, lower case, katakana as hiragana) is
  taken from the index's own documents;
- candidates from the same terms: an FTS5 table (``unicode61``) of the engine's terms (bigrams of
  Japanese runs, whole ASCII words), so a two-character word such as 人口 is one index lookup, as
  in the engine, not a ``LIKE`` scan; bm25 over it ranks;
- a word whose terms are several is confirmed as a substring of the text, as the engine
  confirms phrases, here through an FTS5 ``trigram`` table;
- each query word is widened to its synonyms with the engine's own ``synonyms.expand``;
- filters on indexed columns and link tables, ``GROUP BY`` facets, ``ORDER BY … LIMIT/OFFSET``
  pages returning the stored package JSON.

Not modelled, because the query mix has none: one-character words (the engine's character
postings) and the hiragana readings that an all-kana word also matches (ひなんじょ → 避難所);
both raise or would show as count differences.

Imported by search.py after it has put its source snapshot on ``sys.path``.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, Protocol

from tsunagu.search.normalize import query_terms, tokenize
from tsunagu.search.synonyms import expand

_JAPANESE_RUN = re.compile(r"[^\W\x00-\x7f]+")


class BaselineQuery(Protocol):
    words: list[str]
    fq: list[tuple[str, list[str]]]
    facets: list[str]
    sort: str
    start: int
    rows: int
    private: bool


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class Baseline:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None

    def build(self, docs: Iterable[Any]) -> float:
        """From the index's documents (``IndexDocument``): their package JSON, exact-match values
        and normalised text."""
        started = time.perf_counter()
        self.path.unlink(missing_ok=True)
        conn = sqlite3.connect(self.path)
        conn.executescript(
            """
            PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
            CREATE TABLE doc(id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, name TEXT NOT NULL,
                org TEXT, license_id TEXT, private INTEGER NOT NULL, modified TEXT NOT NULL,
                title_sort TEXT NOT NULL, raw TEXT NOT NULL);
            CREATE TABLE doc_tag(doc INTEGER NOT NULL, value TEXT NOT NULL);
            CREATE TABLE doc_fmt(doc INTEGER NOT NULL, value TEXT NOT NULL);
            CREATE TABLE doc_group(doc INTEGER NOT NULL, value TEXT NOT NULL);
            CREATE VIRTUAL TABLE doc_terms USING fts5(
                terms, content='', tokenize='unicode61 remove_diacritics 0');
            CREATE VIRTUAL TABLE doc_fts USING fts5(text, content='', tokenize='trigram');
            """
        )
        rows, terms, texts, tags, fmts, groups = [], [], [], [], [], []
        docid = 0
        for doc in docs:
            if doc is None or doc.state != "active":
                continue
            docid += 1
            values = doc.values
            org = values["organization"][0] if values["organization"] else None
            licence = values["license_id"][0] if values["license_id"] else ""
            rows.append(
                (
                    docid,
                    doc.id,
                    doc.name,
                    org,
                    licence,
                    int(doc.private),
                    doc.metadata_modified,
                    doc.title_sort,
                    doc.raw.decode(),
                )
            )
            text = doc.texts["text"]
            terms.append((docid, " ".join(tokenize(text))))
            texts.append((docid, text))
            tags += [(docid, v) for v in values["tags"]]
            fmts += [(docid, v) for v in values["res_format"]]
            groups += [(docid, v) for v in values["groups"]]
        conn.executemany("INSERT INTO doc VALUES (?,?,?,?,?,?,?,?,?)", rows)
        conn.executemany("INSERT INTO doc_terms(rowid, terms) VALUES (?,?)", terms)
        conn.executemany("INSERT INTO doc_fts(rowid, text) VALUES (?,?)", texts)
        conn.executemany("INSERT INTO doc_tag VALUES (?,?)", tags)
        conn.executemany("INSERT INTO doc_fmt VALUES (?,?)", fmts)
        conn.executemany("INSERT INTO doc_group VALUES (?,?)", groups)
        conn.executescript(
            """
            CREATE UNIQUE INDEX doc_name ON doc(name);
            CREATE INDEX doc_org ON doc(org);
            CREATE INDEX doc_license ON doc(license_id);
            CREATE INDEX doc_modified ON doc(modified);
            CREATE INDEX doc_title_sort ON doc(title_sort);
            CREATE INDEX doc_tag_value ON doc_tag(value, doc);
            CREATE INDEX doc_tag_doc ON doc_tag(doc, value);
            CREATE INDEX doc_fmt_value ON doc_fmt(value, doc);
            CREATE INDEX doc_fmt_doc ON doc_fmt(doc, value);
            CREATE INDEX doc_group_value ON doc_group(value, doc);
            CREATE INDEX doc_group_doc ON doc_group(doc, value);
            INSERT INTO doc_terms(doc_terms) VALUES ('optimize');
            INSERT INTO doc_fts(doc_fts) VALUES ('optimize');
            ANALYZE;
            """
        )
        conn.commit()
        conn.close()
        return time.perf_counter() - started

    def holds(self, docs: Iterable[Any]) -> bool:
        """Whether an earlier build, completed (it ends with ANALYZE), holds these documents."""
        if not self.path.exists():
            return False
        names = sorted(d.name for d in docs if d is not None and d.state == "active")
        with sqlite3.connect(self.path) as conn:
            complete = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
            ).fetchone()[0]
            built = [row[0] for row in conn.execute("SELECT name FROM doc ORDER BY name")]
        return bool(complete) and built == names

    def open(self) -> None:
        self.conn = sqlite3.connect(self.path, check_same_thread=False)
        self.conn.execute("PRAGMA cache_size = -200000")
        self.conn.execute("CREATE TEMP TABLE m(id INTEGER PRIMARY KEY, score REAL)")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    _FACET_SQL: ClassVar[dict[str, str]] = {
        "organization": "SELECT d.org, count(*) c FROM m JOIN doc d ON d.id = m.id "
        "WHERE d.org IS NOT NULL GROUP BY d.org",
        "license_id": "SELECT d.license_id, count(*) c FROM m JOIN doc d ON d.id = m.id "
        "WHERE d.license_id != '' GROUP BY d.license_id",
        "tags": "SELECT t.value, count(*) c FROM m JOIN doc_tag t ON t.doc = m.id GROUP BY t.value",
        "res_format": "SELECT t.value, count(*) c FROM m JOIN doc_fmt t ON t.doc = m.id "
        "GROUP BY t.value",
        "groups": "SELECT t.value, count(*) c FROM m JOIN doc_group t ON t.doc = m.id "
        "GROUP BY t.value",
    }
    _LINK_TABLE: ClassVar[dict[str, str]] = {
        "tags": "doc_tag",
        "res_format": "doc_fmt",
        "groups": "doc_group",
    }
    _COLUMN: ClassVar[dict[str, str]] = {"organization": "d.org", "license_id": "d.license_id"}
    _ORDER: ClassVar[dict[str, str]] = {
        "": "m.score, d.modified DESC, d.id",
        "score desc, metadata_modified desc": "m.score, d.modified DESC, d.id",
        "metadata_modified desc": "d.modified DESC, d.id",
        "title_string asc": "d.title_sort, d.id",
    }

    def search(self, query: BaselineQuery) -> tuple[int, dict[str, dict[str, int]], list[str]]:
        assert self.conn is not None
        conn = self.conn
        where: list[str] = []
        params: list[Any] = []
        if query.words:
            # Candidates and rank from the terms; confirmations as extra conditions.
            source = "doc_terms JOIN doc d ON d.id = doc_terms.rowid"
            score = "bm25(doc_terms)"
            where.append("doc_terms MATCH ?")
            words = [_alternatives(word) for word in query.words]
            params.append(" AND ".join(_any_terms(alts) for alts in words))
            for alts in words:
                condition, values = _confirmation(alts)
                if condition:
                    where.append(condition)
                    params += values
        else:
            source, score = "doc d", "0"
        if not query.private:
            where.append("d.private = 0")
        for field_name, values in query.fq:
            marks = ",".join("?" * len(values))
            if field_name in self._LINK_TABLE:
                where.append(
                    f"d.id IN (SELECT doc FROM {self._LINK_TABLE[field_name]} "
                    f"WHERE value IN ({marks}))"
                )
            else:
                where.append(f"{self._COLUMN[field_name]} IN ({marks})")
            params += values
        conn.execute("DELETE FROM m")
        conn.execute(
            f"INSERT INTO m(id, score) SELECT d.id, {score} FROM {source} "
            f"WHERE {' AND '.join(where) or '1'}",
            params,
        )
        count = conn.execute("SELECT count(*) FROM m").fetchone()[0]
        facets = {}
        for field_name in query.facets:
            sql = self._FACET_SQL[field_name] + " ORDER BY c DESC, 1 LIMIT 50"
            facets[field_name] = dict(conn.execute(sql).fetchall())
        page = [
            row[0]
            for row in conn.execute(
                f"SELECT d.raw FROM m JOIN doc d ON d.id = m.id ORDER BY {self._ORDER[query.sort]} "
                "LIMIT ? OFFSET ?",
                (query.rows, query.start),
            )
        ]
        return count, facets, page


class _Alternative:
    """One spelling of a query word (the word or a synonym), normalised, with its terms."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.terms = list(dict.fromkeys(query_terms(text)))
        if not self.terms or any(len(t) == 1 and not t.isascii() for t in self.terms):
            raise ValueError(f"one-character terms are not modelled by the baseline: {text!r}")

    @property
    def single(self) -> bool:
        """One term (a bigram or an ASCII word): its postings are the answer, no confirmation."""
        return len(self.terms) == 1

    @property
    def one_run(self) -> bool:
        """A single run of Japanese characters: the substring implies every bigram term."""
        return bool(_JAPANESE_RUN.fullmatch(self.text))

    def all_terms(self) -> str:
        return " AND ".join(_fts_string(t) for t in self.terms)


def _alternatives(word: str) -> list[_Alternative]:
    return [_Alternative(text) for text in expand(word)]


def _any_terms(alts: list[_Alternative]) -> str:
    return "(" + " OR ".join(f"({alt.all_terms()})" for alt in alts) + ")"


def _confirmation(alts: list[_Alternative]) -> tuple[str, list[str]]:
    """What the terms alone do not settle for one word: that a several-term spelling stands
    as a substring of the text (trigram index), and, when the word has several spellings, that
    the spelling confirmed is one whose terms the document has."""
    if all(alt.single for alt in alts):
        return "", []
    trigram = "d.id IN (SELECT rowid FROM doc_fts WHERE doc_fts MATCH ?)"
    terms = "d.id IN (SELECT rowid FROM doc_terms WHERE doc_terms MATCH ?)"
    if len(alts) == 1:  # the outer MATCH already required its terms
        return trigram, [_fts_string(alts[0].text)]
    parts, values = [], []
    for alt in alts:
        if alt.single:
            parts.append(terms)
            values.append(alt.all_terms())
        elif alt.one_run:
            parts.append(trigram)
            values.append(_fts_string(alt.text))
        else:
            parts.append(f"({trigram} AND {terms})")
            values += [_fts_string(alt.text), alt.all_terms()]
    return "(" + " OR ".join(parts) + ")", values
