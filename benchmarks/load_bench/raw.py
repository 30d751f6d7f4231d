"""The raw SQL baseline: the database part of the load mix on the same engine, without the app."""

from __future__ import annotations

import itertools
import random
import threading
import time

from sqlalchemy import insert, text

from load_bench.clients import WORDS
from load_bench.site import Site
from tsunagu.catalog.models import Dataset


def raw_sql(site: Site, database_url: str, threads: int, seconds: float) -> dict[str, float]:
    """The database part of the mix on the same engine, without the app: lookups by name, a
    LIKE search on titles, inserts of dataset rows and updates of their notes."""
    from tsunagu.storage.database import make_engine

    url = database_url or f"sqlite:///{site.catalog.db_path}"
    engine = make_engine(url)
    counts = [0] * threads
    names = site.datasets
    deadline = time.monotonic() + seconds
    org_id_sql = text("SELECT id FROM organization WHERE name = :n")
    with engine.connect() as connection:
        org_id = connection.execute(org_id_sql, {"n": site.org}).scalar_one()

    def work(number: int) -> None:
        rng = random.Random(number)
        serial = itertools.count(1)
        mine: list[str] = []
        while time.monotonic() < deadline:
            roll = rng.random()
            with engine.begin() as connection:
                if roll < 0.45:
                    connection.execute(
                        text("SELECT * FROM dataset WHERE name = :n"), {"n": rng.choice(names)}
                    ).all()
                elif roll < 0.72:
                    connection.execute(
                        text("SELECT id, name, title FROM dataset WHERE title LIKE :q LIMIT 10"),
                        {"q": f"%{rng.choice(WORDS)}%"},
                    ).all()
                elif roll < 0.85 or not mine:
                    new_id = f"raw-{number}-{next(serial)}-{rng.getrandbits(32):08x}"
                    # Core insert on the model's table, so every other column gets the default
                    # the application would give it (as the schema grows, the row stays valid).
                    connection.execute(
                        insert(Dataset.__table__).values(
                            id=new_id, name=new_id, title=new_id, owner_org=org_id, revision=0
                        )
                    )
                    mine.append(new_id)
                else:
                    connection.execute(
                        text("UPDATE dataset SET notes = :n WHERE id = :id"),
                        {"n": f"更新 {next(serial)}", "id": rng.choice(mine)},
                    )
            counts[number] += 1

    failures: list[BaseException] = []

    def guarded(number: int) -> None:
        try:
            work(number)
        except BaseException as error:  # a dead thread would silently lower the rate
            failures.append(error)

    pool = [threading.Thread(target=guarded, args=(n,)) for n in range(threads)]
    started = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    engine.dispose()
    if failures:
        raise RuntimeError(f"raw SQL baseline: {len(failures)} threads failed") from failures[0]
    return {"operations": sum(counts), "seconds": elapsed, "per_second": sum(counts) / elapsed}
