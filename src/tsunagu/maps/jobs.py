"""Layers are rebuilt when a dataset changes, never while a request waits.

Each change that can move a point (a datastore table made, reloaded or dropped; any dataset
write, which covers going private, deletion, a new standard, a resource removed) queues one job
of kind ``map_layers`` in the shared `job` table, in the writer's own transaction. While a job
waits, later changes reuse it (`jobs.queue.enqueue`), and a worker takes it only once it has
waited `DEBOUNCE_SECONDS`: a burst of changes (a whole catalog loaded, a harvest) costs one
rebuild check. The check compares each layer's inputs with the signature of its last build and
rebuilds only the layers that changed (`builder.rebuild_changed`).

Every process runs a `MapWorker` thread: it takes due jobs (claimed by one atomic UPDATE, so one
process builds), refreshes its `LayerStore`'s ETags every `REFRESH_SECONDS`, and every
`SWEEP_SECONDS` queues a check if the catalog's revision moved without an event (a file's
quality check finding its standard only after the load, for instance). A change to a shelter
file is therefore on the map within DEBOUNCE + build + REFRESH seconds, a few seconds in all.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tsunagu.catalog.models import Dataset, Resource
from tsunagu.catalog.revision import current_revision
from tsunagu.context import Context, Services
from tsunagu.events import on_dataset_saving, on_datastore_changed, on_resource_deleted
from tsunagu.jobs.models import Job
from tsunagu.jobs.queue import enqueue, finish, finish_in, prune_finished, recover_stale
from tsunagu.maps.builder import BuiltLayer, rebuild_changed
from tsunagu.maps.store import LoadedLayer, layer_store
from tsunagu.storage.types import utcnow

log = logging.getLogger(__name__)

KIND = "map_layers"
TITLE = "地図レイヤーの更新"
DEBOUNCE_SECONDS = 2.0
REFRESH_SECONDS = 1.0
SWEEP_SECONDS = 20.0


def request_rebuild(session: Session, *, force: bool = False) -> Job:
    """Queue a rebuild check in the caller's transaction (one waiting job at most)."""
    job, _previous = enqueue(
        session, KIND, object_id=None, title=TITLE, options={"force": force} if force else {}
    )
    return job


@on_datastore_changed
def _table_changed(session: Session, resource_id: str, fields: object) -> None:
    request_rebuild(session)


@on_dataset_saving
def _dataset_saving(context: Context, dataset: Dataset) -> None:
    request_rebuild(context.session)


@on_resource_deleted
def _resource_deleted(context: Context, resource: Resource) -> None:
    request_rebuild(context.session)


def claim_due(services: Services, debounce: float = DEBOUNCE_SECONDS) -> str | None:
    """Take the oldest waiting job that has waited long enough (one UPDATE decides who)."""
    cutoff = utcnow() - timedelta(seconds=debounce)
    with services.sessions() as session:
        candidates = session.scalars(
            select(Job.id)
            .where(Job.kind == KIND, Job.status == "pending", Job.created <= cutoff)
            .order_by(Job.created)
            .limit(3)
        ).all()
        for job_id in candidates:
            now = utcnow()
            claimed = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "pending")
                .values(status="running", started=now, heartbeat=now)
            )
            session.commit()
            if claimed.rowcount == 1:
                return job_id
    return None


def _loaded(built: BuiltLayer) -> LoadedLayer:
    return LoadedLayer(
        name=built.name,
        etag=built.etag,
        points=built.points,
        summary=built.summary,
        geojson_gzip=built.geojson_gzip,
        geojson_br=built.geojson_br,
        csv_gzip=built.csv_gzip,
    )


def run_job(services: Services, job_id: str) -> list[str]:
    with services.sessions() as session:
        job = session.get(Job, job_id)
        force = bool(job is not None and (job.options or {}).get("force"))
    try:
        # The builds and the job's end are one commit, and this process serves the new layers
        # only after it: whoever sees them finds the job ended.
        built = rebuild_changed(
            services, force=force, finish=lambda session: _complete(session, job_id)
        )
    except Exception as exc:  # the worker goes on; the job says what happened
        log.exception("map layer rebuild failed")
        finish(services, job_id, "error", f"予期しないエラーが発生しました: {exc}")
        return []
    store = layer_store(services)
    for layer in built:
        store.put(_loaded(layer))
    return [layer.name for layer in built]


def _complete(session: Session, job_id: str) -> None:
    finish_in(session, job_id, "complete")


class MapWorker:
    """Runs due rebuild jobs and keeps this process's layer ETags current."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="map-worker", daemon=True)
        self._revision: int | None = None
        self._swept = 0.0

    def start(self) -> None:
        recover_stale(self.services, KIND)
        prune_finished(self.services, KIND, keep=timedelta(days=1))
        store = layer_store(self.services)
        try:
            store.refresh()
        except Exception:
            log.exception("could not read the map layers' ETags")
        # A new install, a new standard, or a layer changed while no process ran.
        with self.services.sessions() as session:
            request_rebuild(session)
            session.commit()
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._thread.join(timeout=timeout)

    def _sweep(self) -> None:
        with self.services.sessions() as session:
            revision = current_revision(session)
            if self._revision is not None and revision != self._revision:
                request_rebuild(session)
                session.commit()
        self._revision = revision

    def _loop(self) -> None:
        store = layer_store(self.services)
        while not self._stop.is_set():
            try:
                job_id = claim_due(self.services)
                if job_id is not None:
                    run_job(self.services, job_id)
                store.refresh()
                if time.monotonic() - self._swept >= SWEEP_SECONDS:
                    self._swept = time.monotonic()
                    self._sweep()
            except OperationalError as error:  # SQLite busy with a long write: next round
                log.warning("map worker: %s", error.orig)
            except Exception:
                log.exception("map worker")
            self._stop.wait(REFRESH_SECONDS)
