"""The seeded query mix (step 3a): kinds of search a catalog's users make, with weights."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

from search_bench.vocabulary import (
    FACET_FIELDS,
    FORMATS,
    GROUPS,
    LICENSES,
    ORGS,
    PHRASES,
    WORDS_2,
    all_tags,
)

# -- 3a. the query mix -------------------------------------------------------------------------


@dataclass
class Query:
    kind: str
    words: list[str] = field(default_factory=list)
    # AND over fields, OR over the values of one field.
    fq: list[tuple[str, list[str]]] = field(default_factory=list)
    facets: list[str] = field(default_factory=list)
    sort: str = ""
    start: int = 0
    rows: int = 10
    private: bool = False

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {"rows": str(self.rows)}
        if self.words:
            out["q"] = " ".join(self.words)
        if self.fq:
            parts = []
            for field_name, values in self.fq:
                terms = [f'{field_name}:"{v}"' for v in values]
                parts.append(terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")")
            out["fq"] = " AND ".join(parts)
        if self.facets:
            out["facet.field"] = json.dumps(self.facets, ensure_ascii=False)
        if self.sort:
            out["sort"] = self.sort
        if self.start:
            out["start"] = str(self.start)
        if self.private:
            out["include_private"] = "true"
        return out


KIND_WEIGHTS = {
    "word2": 0.18,
    "phrase": 0.14,
    "multi": 0.10,
    "facets": 0.14,
    "fq": 0.14,
    "fq_or": 0.08,
    "paging": 0.10,
    "sort": 0.07,
    "private": 0.05,
}
SORTS = ["", "score desc, metadata_modified desc", "metadata_modified desc", "title_string asc"]


def make_queries(count: int, seed: int) -> list[Query]:
    rng = random.Random(seed + 1)
    kinds: list[str] = []
    for kind, weight in KIND_WEIGHTS.items():
        kinds += [kind] * max(1, round(weight * count))
    rng.shuffle(kinds)
    orgs = [o[1] for o in ORGS]
    popular_tags = all_tags()[:60]
    formats = [f[0] for f in FORMATS]
    munis = [o[0] for o in ORGS]

    def maybe_facets(p: float = 0.5) -> list[str]:
        return list(FACET_FIELDS) if rng.random() < p else []

    def any_word() -> list[str]:
        return [rng.choice(WORDS_2 + PHRASES)]

    queries = []
    for kind in kinds[:count]:
        q = Query(kind)
        if kind == "word2":
            q.words, q.facets, q.rows = [rng.choice(WORDS_2)], maybe_facets(), rng.choice([10, 20])
        elif kind == "phrase":
            q.words, q.facets = [rng.choice(PHRASES)], maybe_facets()
        elif kind == "multi":
            q.words = rng.choice(
                [
                    [rng.choice(munis), rng.choice(PHRASES)],
                    [rng.choice(WORDS_2), rng.choice(PHRASES)],
                    [rng.choice(WORDS_2), str(rng.randint(2015, 2025))],
                    [rng.choice(munis), rng.choice(WORDS_2), rng.choice(WORDS_2)],
                ]
            )
            q.facets = maybe_facets()
        elif kind == "facets":
            q.words = [] if rng.random() < 0.4 else any_word()
            q.facets = list(FACET_FIELDS)
        elif kind == "fq":
            q.words = [] if rng.random() < 0.5 else any_word()
            q.fq = rng.choice(
                [
                    [("organization", [rng.choice(orgs)])],
                    [("tags", [rng.choice(popular_tags)])],
                    [("res_format", [rng.choice(formats)])],
                    [("organization", [rng.choice(orgs)]), ("tags", [rng.choice(popular_tags)])],
                    [("tags", [rng.choice(popular_tags)]), ("res_format", ["CSV"])],
                    [("groups", [rng.choice(GROUPS)[0]])],
                    [("license_id", [rng.choice(LICENSES)])],
                ]
            )
            q.facets = maybe_facets()
        elif kind == "fq_or":
            q.words = [] if rng.random() < 0.5 else any_word()
            q.fq = rng.choice(
                [
                    [("res_format", rng.sample(formats, 2))],
                    [("organization", rng.sample(orgs, rng.randint(2, 4)))],
                    [("tags", rng.sample(popular_tags, 2)), ("organization", [rng.choice(orgs)])],
                    [("groups", [g[0] for g in rng.sample(GROUPS, 2)]), ("res_format", ["CSV"])],
                ]
            )
            q.facets = maybe_facets()
        elif kind == "paging":
            q.words = [] if rng.random() < 0.6 else [rng.choice(["人口", "施設", "観光", "防災"])]
            q.start = rng.choice([10, 20, 50, 100, 200, 500, 800, 1000])
            q.rows = rng.choice([10, 20, 50, 100])
            q.sort = rng.choice(SORTS)
            q.facets = maybe_facets(0.3)
        elif kind == "sort":
            q.words = [] if rng.random() < 0.4 else any_word()
            q.sort = rng.choice(SORTS[1:])
            q.rows = rng.choice([10, 20])
            q.facets = maybe_facets()
        elif kind == "private":
            q.words = [] if rng.random() < 0.4 else any_word()
            q.private = True
            q.facets = maybe_facets()
        queries.append(q)
    return queries
