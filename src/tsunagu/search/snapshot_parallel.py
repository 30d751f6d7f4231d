"""Building a snapshot's documents in two processes.

Turning a dataset into an index document (package dict, normalisation, bigrams, readings) is
pure Python and bound to one core; at 100k datasets it is most of a rebuild. A helper process
(``python -m tsunagu.search.snapshot_parallel <work directory>``) builds the second half of the
datasets with the parent's compression dictionary, into stream files and a pickled part that
the parent merges after its own half (SnapshotBuilder.merge): the same file one process would
write, in about half the time on two cores.
"""

from __future__ import annotations

import json
import logging
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.orm import Session

from tsunagu.catalog.dictize import package_dicts
from tsunagu.search.documents import build_document
from tsunagu.search.snapshot_builder import SnapshotBuilder

log = logging.getLogger(__name__)

# Below this many datasets starting a second process costs more than it saves.
PARALLEL_MIN = 10_000
BATCH = 2000


def add_documents(
    builder: SnapshotBuilder,
    session: Session,
    ids: list[str],
    site_url: str,
    vocabularies: Mapping[str, str],
    batch_size: int | None = None,
) -> None:
    """In batches as the in-memory build takes them, so docids (the order of ties) come out
    the same however the work is split."""
    size = batch_size or BATCH
    for start in range(0, len(ids), size):
        batch = package_dicts(session, ids[start : start + size], site_url)
        for package in batch.values():
            builder.add(build_document(package, vocabularies))


def build_all(
    builder: SnapshotBuilder,
    session: Session,
    ids: list[str],
    vocabularies: Mapping[str, str],
    database_url: str,
    scratch: Path,
) -> None:
    """Add every dataset of ``ids`` to ``builder``, the second half in a helper process when
    the catalog is large enough (``scratch``: a private directory for the part's files)."""
    site_url = builder.site_url
    # Split on a batch boundary: each batch then holds the same datasets as in one process.
    half = max(BATCH, len(ids) // 2 // BATCH * BATCH)
    if len(ids) < PARALLEL_MIN or not database_url or half >= len(ids):
        add_documents(builder, session, ids, site_url, vocabularies)
        return
    # The first batch chooses the compression dictionary that the part must use as well.
    add_documents(builder, session, ids[:BATCH], site_url, vocabularies)
    if not builder.dictionary_chosen:  # fewer packages than the dictionary samples
        add_documents(builder, session, ids[BATCH:], site_url, vocabularies)
        return
    workdir = Path(tempfile.mkdtemp(prefix=".part-", dir=scratch))
    try:
        (workdir / "ids.json").write_text(json.dumps(ids[half:]))
        (workdir / "zdict").write_bytes(builder.zdict)
        (workdir / "job.json").write_text(
            json.dumps({"database_url": database_url, "site_url": site_url, "batch": BATCH})
        )
        helper = subprocess.Popen(
            [sys.executable, "-m", "tsunagu.search.snapshot_parallel", str(workdir)],
            stdin=subprocess.DEVNULL,
        )
        add_documents(builder, session, ids[BATCH:half], site_url, vocabularies)
        if helper.wait() == 0:
            with (workdir / "part.pickle").open("rb") as handle:
                state = pickle.load(handle)  # written by our own helper, in our own directory
            builder.merge(state, workdir)
            log.info(
                "search snapshot: %d of %d datasets built by a helper", state["count"], len(ids)
            )
            return
        log.warning(
            "検索スナップショットの並列作成に失敗しました (parallel snapshot build failed): "
            "building the second half in this process"
        )
        add_documents(builder, session, ids[half:], site_url, vocabularies)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _main(workdir: Path) -> int:
    from tsunagu.catalog.tags import vocabulary_names
    from tsunagu.storage.database import make_engine, make_session_factory

    job = json.loads((workdir / "job.json").read_text())
    ids = json.loads((workdir / "ids.json").read_text())
    engine = make_engine(job["database_url"])
    try:
        builder = SnapshotBuilder(
            job["site_url"], directory=workdir, zdict=(workdir / "zdict").read_bytes()
        )
        with make_session_factory(engine)() as session:
            vocabularies = vocabulary_names(session)
            add_documents(builder, session, ids, job["site_url"], vocabularies, job["batch"])
        with (workdir / "part.pickle").open("wb") as handle:
            pickle.dump(builder.part_state(), handle, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(Path(sys.argv[1])))
