"""One harvest job: gather → compare → create/update → withdraw what vanished.

Each record is written in a transaction of its own, through the catalog's own actions (as the
system), so a record that fails leaves nothing half-written and is an error on that record
only; the job goes on. The job's counters move in the same transaction as the record, so a job
taken up again after a killed process skips what it already did (``last_job_id``) and counts
nothing twice. Withdrawal happens only after a gather that finished cleanly and listed the
source's every key (never after an error, a stop, or an empty answer).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from tsunagu.bootstrap import action_context
from tsunagu.catalog.metadata import names
from tsunagu.catalog.models import Dataset, DatasetExtra, Organization
from tsunagu.catalog.validation import NAME_RE
from tsunagu.context import Context, Services
from tsunagu.errors import ValidationError
from tsunagu.harvest import drafts, owners
from tsunagu.harvest.models import HarvestError, HarvestJob, HarvestObject, HarvestSource
from tsunagu.harvest.protocol import Harvester, Record, RecordError, RecordProblem
from tsunagu.harvest.readonly import snapshot
from tsunagu.harvest.run import JobRun
from tsunagu.harvest.settings import SourceSettings
from tsunagu.net.fetch import FetchError
from tsunagu.registry import call_action
from tsunagu.storage.types import new_id, utcnow

log = logging.getLogger(__name__)

_UNCHANGED_BATCH = 500
_MANAGED_BASE = ("name", "owner_org", *drafts.CORE_FIELDS, "license_id", "tags", "extras")


class JobFailed(Exception):
    """The job as a whole cannot go on (its message is shown on the job)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class SourceFacts:
    """What the engine needs of the source, read once."""

    id: str
    title: str
    url: str
    owner_org: str
    org_name: str
    settings: SourceSettings

    @classmethod
    def load(cls, source: HarvestSource, org: Organization) -> SourceFacts:
        return cls(
            source.id,
            source.title or source.name,
            source.url,
            source.owner_org,
            org.name,
            SourceSettings.of(source.config),
        )


@dataclass
class Engine:
    services: Services
    source: SourceFacts
    job_id: str
    harvester: Harvester
    run: JobRun
    seen: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    _unchanged: list[str] = field(default_factory=list)

    # -- gather ------------------------------------------------------------------------------

    def harvest(self) -> None:
        """Gather and import every record; JobFailed/SourceError/FetchError end the job."""
        limit = self.run.limits.max_records
        for item in self.harvester.gather(self.run):
            if self.run.stopping():
                break
            if isinstance(item, RecordProblem):
                self.seen.add(item.key)
                # A record that could not be read is an error on that record, like one that
                # could not be written; only problems with the source itself are "gather".
                self.record_error(
                    item.key, item.title, item.message, stage="import" if item.key else "gather"
                )
                continue
            if item.key in self.seen:
                continue  # the same record twice (a page shifted while paging, a duplicate id)
            self.seen.add(item.key)
            if len(self.seen) > limit:
                self.flush_unchanged()
                raise JobFailed(
                    f"1 回に収集できる件数の上限（{limit} 件）を超えたため、ここで打ち切りました"
                )
            self.process(item)
            self.run.progress(f"{len(self.seen)} 件を処理しました", done=len(self.seen))
        self.flush_unchanged()
        self.record_warnings()
        if self.run.cancelled.is_set():
            return
        if self.run.out_of_time():
            raise JobFailed(
                "時間の上限に達したため、ここで打ち切りました（続きは次回に収集します）"
            )
        self.withdraw_missing()

    def process(self, record: Record) -> None:
        try:
            self._compare_and_write(record)
        except RecordError as error:
            self.record_error(record.key, record.title, error.message)
        except ValidationError as error:
            self.record_error(record.key, record.title, _validation_text(error))
        except FetchError as error:
            self.record_error(record.key, record.title, error.message)
        except Exception as error:  # a bug on one record must not stop the others
            log.exception("harvest of %r from source %s failed", record.key, self.source.id)
            self.record_error(
                record.key, record.title, f"予期しないエラーが発生しました: {type(error).__name__}"
            )

    def _compare_and_write(self, record: Record) -> str:
        with self.services.sessions() as session:
            obj = self._object(session, record.key)
            if obj is not None and obj.last_job_id == self.job_id:
                return "done"  # a job taken up again: this record was done before the stop
            draft = self.harvester.to_package(record, self.run)
            self._check_size(draft)
            owner = owners.owner_for(session, draft.get("owner_code", ""), self.source.owner_org)
            prepared = drafts.prepare(session, draft, owner)
            if owner != self.source.owner_org:
                prepared["owner_org"] = owner  # in the digest: a record that moves is changed
            object_id = obj.id if obj is not None else new_id()
            prepared["extras"].update(self._provenance(object_id, record))
            digest = drafts.digest(prepared)
            dataset = session.get(Dataset, obj.dataset_id) if obj and obj.dataset_id else None
            if obj is not None and dataset is not None:
                # Deleted here by staff: their decision stands (purge it to harvest it again).
                unchanged = obj.content_hash == digest and obj.state == "active"
                if unchanged or dataset.state == "deleted":
                    self._unchanged.append(obj.id)
                    if len(self._unchanged) >= _UNCHANGED_BATCH:
                        self.flush_unchanged()
                    return "unchanged"
        return self._write(record, prepared, digest, object_id)

    def _check_size(self, draft: Any) -> None:
        limits = self.run.limits
        count = len(draft.get("resources") or [])
        if count > limits.max_resources:
            raise RecordError(
                f"リソースが多すぎます（{count} 件、上限 {limits.max_resources} 件） "
                "(Too many resources)"
            )
        size = drafts.size_of(draft)
        if size > limits.max_record_bytes:
            raise RecordError(
                f"レコードが大きすぎます（{size // 1024} KB、上限 "
                f"{limits.max_record_bytes // 1024} KB） (Record too large)"
            )

    def _provenance(self, object_id: str, record: Record) -> dict[str, str]:
        return {
            "harvest_object_id": object_id,
            "harvest_source_id": self.source.id,
            "harvest_source_title": self.source.title,
            "harvest_source_url": self.source.url,
            "harvest_original_url": page_url(record.original_url),
        }

    def _object(self, session: Any, key: str) -> HarvestObject | None:
        return session.scalar(
            select(HarvestObject).where(
                HarvestObject.source_id == self.source.id, HarvestObject.key == key
            )
        )

    # -- write -------------------------------------------------------------------------------

    def _write(self, record: Record, prepared: dict[str, Any], digest: str, object_id: str) -> str:
        for attempt in range(3):
            try:
                with action_context(self.services, ignore_auth=True) as context:
                    return self._write_in(context, record, prepared, digest, object_id)
            except ValidationError as error:
                # Another writer took the chosen name between the check and the flush.
                if "name" in error.errors and attempt < 2:
                    continue
                raise
        raise AssertionError("unreachable")

    def _write_in(
        self,
        context: Context,
        record: Record,
        prepared: dict[str, Any],
        digest: str,
        object_id: str,
    ) -> str:
        session = context.session
        obj = self._object(session, record.key) or self._adopt(session, record.key, object_id)
        dataset = session.get(Dataset, obj.dataset_id) if obj and obj.dataset_id else None
        local = set(self.source.settings.local_fields)
        owner = prepared.get("owner_org", self.source.owner_org)
        if dataset is None:
            name = self._local_name(session, record, prepared["title"], owner)
            result = call_action("package_create", context, _create_input(prepared, name, owner))
            outcome = "added"
        else:
            data = self._update_input(session, prepared, obj, dataset, local)
            result = call_action("package_patch", context, data)
            outcome = "updated"
        if obj is None:
            obj = HarvestObject(id=object_id, source_id=self.source.id, key=record.key)
            session.add(obj)
        dataset = session.get(Dataset, result["id"])
        assert dataset is not None
        obj.dataset_id = dataset.id
        obj.remote_name = (record.name or "")[:200]
        obj.original_url = page_url(record.original_url)
        obj.remote_modified = (record.modified or "")[:40]
        obj.remote_private = bool(prepared["private"])
        obj.content_hash = digest
        obj.resources = {
            sent["key"]: made["id"]
            for sent, made in zip(prepared["resources"], result["resources"], strict=False)
        }
        fields = [*_MANAGED_BASE, "resources"]
        fields += [f for f in drafts.OPTIONAL_FIELDS if f in prepared]
        obj.managed = snapshot(dataset, fields, prepared["extras"].keys())
        obj.state = "active"
        obj.missing_since = obj.withdrawn_at = None
        obj.last_job_id = self.job_id
        obj.updated = utcnow()
        self._count(session, outcome)
        return outcome

    def _adopt(self, session: Any, key: str, object_id: str) -> HarvestObject | None:
        """A record a deleted source of this organisation harvested: its dataset is taken over
        (same id, name and files) rather than harvested a second time, so deleting a source
        and making it again never duplicates its datasets."""
        previous = session.scalar(
            select(HarvestObject)
            .join(HarvestSource, HarvestSource.id == HarvestObject.source_id)
            .join(Dataset, Dataset.id == HarvestObject.dataset_id)
            .where(
                HarvestObject.key == key,
                HarvestSource.state == "deleted",
                HarvestSource.owner_org == self.source.owner_org,
                Dataset.state != "deleted",
            )
            .limit(1)
        )
        if previous is None:
            return None
        obj = HarvestObject(
            id=object_id,
            source_id=self.source.id,
            key=key,
            dataset_id=previous.dataset_id,
            resources=dict(previous.resources or {}),
            managed=dict(previous.managed or {}),
            state=previous.state,
            remote_private=previous.remote_private,
        )
        previous.dataset_id = None
        session.add(obj)
        session.flush()
        return obj

    def _local_name(self, session: Any, record: Record, title: str, owner: str) -> str:
        """The source's own name when it is free here; else one made from it or the title,
        with the organisation's name first, so two sources' "aed" never clash."""
        org_name = self.source.org_name
        if owner != self.source.owner_org:
            org_name = owners.name_of(session, owner) or org_name
        remote = (record.name or "").strip().lower()
        if NAME_RE.match(remote):
            if not session.scalar(select(Dataset.id).where(Dataset.name == remote)):
                return remote
            base = f"{org_name}-{remote}"[: names.MAX_BASE].strip("-")
            return names.unique_name(session, base)
        return names.suggest(session, title, org_name)

    def _update_input(
        self,
        session: Any,
        prepared: dict[str, Any],
        obj: HarvestObject,
        dataset: Dataset,
        local: set[str],
    ) -> dict[str, Any]:
        data = _create_input(
            prepared, dataset.name, prepared.get("owner_org", self.source.owner_org)
        )
        data["id"] = dataset.id
        for name in local:
            data.pop(name, None)  # package_patch keeps the current value of what is not sent
        # Extras staff added beside the source's own are kept.
        previous = set((obj.managed or {}).get("extras") or {})
        current = session.execute(
            select(DatasetExtra.key, DatasetExtra.value).where(
                DatasetExtra.dataset_id == dataset.id
            )
        )
        staff = {k: v for k, v in current if k not in previous and k not in prepared["extras"]}
        data["extras"] = _pairs({**staff, **prepared["extras"]})
        # Local ids for the files the source still has (matched by key, then by URL).
        by_key = dict(obj.resources or {})
        live = {r.id: r.url for r in dataset.resources if r.state == "active"}
        taken: set[str] = set()
        for source, sent in zip(prepared["resources"], data["resources"], strict=True):
            found = by_key.get(source["key"])
            if found not in live or found in taken:
                found = next(
                    (i for i, u in live.items() if u == sent["url"] and i not in taken), None
                )
            if found:
                sent["id"] = found
                taken.add(found)
        # Published or not is staff's choice, except coming back after a withdrawal or when
        # the source itself changed it.
        if obj.state == "withdrawn" or obj.remote_private != prepared["private"]:
            data["private"] = prepared["private"]
        else:
            data.pop("private")
        return data

    # -- bookkeeping -------------------------------------------------------------------------

    def record_warnings(self) -> None:
        warnings, self.run.warnings = self.run.warnings, []
        for message, incomplete in warnings:
            # "gather": records may be missing, so the next job reads everything again.
            self.record_error("", "", message, stage="gather" if incomplete else "withdraw")

    def _count(self, session: Any, outcome: str, by: int = 1) -> None:
        column = getattr(HarvestJob, outcome)
        session.execute(
            update(HarvestJob).where(HarvestJob.id == self.job_id).values({outcome: column + by})
        )

    def flush_unchanged(self) -> None:
        if not self._unchanged:
            return
        ids, self._unchanged = self._unchanged, []
        with self.services.sessions() as session:
            session.execute(
                update(HarvestObject)
                .where(HarvestObject.id.in_(ids))
                .values(last_job_id=self.job_id, missing_since=None)
            )
            self._count(session, "unchanged", len(ids))
            session.commit()

    def record_error(self, key: str, title: str, message: str, *, stage: str = "import") -> None:
        """One error row per record and job (a job taken up again replaces it)."""
        with self.services.sessions() as session:
            existing = session.scalar(
                select(HarvestError).where(
                    HarvestError.job_id == self.job_id,
                    HarvestError.key == key,
                    HarvestError.stage == stage,
                )
            )
            if existing is not None and key:
                existing.message, existing.title = message, title[:1000]
            else:
                session.add(
                    HarvestError(
                        job_id=self.job_id,
                        source_id=self.source.id,
                        key=key,
                        title=title[:1000],
                        stage=stage,
                        message=message,
                    )
                )
                self._count(session, "errored")
            if key:
                # The record is still at the source, even if it could not be read.
                session.execute(
                    update(HarvestObject)
                    .where(HarvestObject.source_id == self.source.id, HarvestObject.key == key)
                    .values(last_job_id=self.job_id, missing_since=None)
                )
            session.commit()

    # -- withdraw ----------------------------------------------------------------------------

    def withdraw_missing(self) -> None:
        listed = self.run.listed_keys
        if listed is None:
            return
        alive = listed | self.seen
        if not alive:
            self.notes.append("収集元が 1 件も返さなかったため、取り下げは行いませんでした")
            return
        with self.services.sessions() as session:
            rows = session.execute(
                select(HarvestObject.id, HarvestObject.key, HarvestObject.missing_since).where(
                    HarvestObject.source_id == self.source.id, HarvestObject.state == "active"
                )
            ).all()
        missing = [row for row in rows if row.key not in alive]
        back = [row.id for row in rows if row.key in alive and row.missing_since is not None]
        self._set_missing_since(back, None)
        limit = self.source.settings.max_withdraw_percent
        if len(missing) > 5 and len(missing) * 100 > limit * len(rows):
            self.record_error(
                "",
                "",
                f"収集元から {len(missing)} 件（{len(missing) * 100 // len(rows)}%）が一度に"
                f"消えました。上限（{limit}%）を超えるため取り下げていません。収集元を確かめてください",
                stage="withdraw",
            )
            return
        now = utcnow()
        grace = timedelta(days=self.source.settings.withdraw_after_days)
        self._set_missing_since([r.id for r in missing if r.missing_since is None], now)
        for row in missing:
            if (row.missing_since or now) + grace <= now:
                self._withdraw(row.id)

    def _set_missing_since(self, ids: list[str], when: Any) -> None:
        if not ids:
            return
        with self.services.sessions() as session:
            for start in range(0, len(ids), 500):
                session.execute(
                    update(HarvestObject)
                    .where(HarvestObject.id.in_(ids[start : start + 500]))
                    .values(missing_since=when)
                )
            session.commit()

    def _withdraw(self, object_id: str) -> None:
        """Made private (not deleted): staff still see it, and it comes back if the record
        reappears at the source."""
        try:
            with action_context(self.services, ignore_auth=True) as context:
                obj = context.session.get(HarvestObject, object_id)
                if obj is None or obj.state != "active":
                    return
                dataset = context.session.get(Dataset, obj.dataset_id) if obj.dataset_id else None
                if dataset is not None and dataset.state != "deleted":
                    if not dataset.private:
                        call_action("package_patch", context, {"id": dataset.id, "private": True})
                    self._count(context.session, "withdrawn")
                obj.state = "withdrawn"
                obj.withdrawn_at = utcnow()
        except Exception as error:
            log.exception("withdrawing harvest object %s failed", object_id)
            self.record_error("", "", f"取り下げに失敗しました: {error}", stage="withdraw")


def page_url(url: str) -> str:
    """A record's page at the source, shown as a link: http(s) only."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else ""


def _pairs(extras: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in sorted(extras.items())]


def _create_input(prepared: dict[str, Any], name: str, owner_org: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        k: v for k, v in prepared.items() if k not in ("tags", "extras", "resources")
    }
    data.update(
        name=name,
        owner_org=owner_org,
        tags=[{"name": t} for t in prepared["tags"]],
        extras=_pairs(prepared["extras"]),
        resources=[{k: v for k, v in r.items() if k != "key"} for r in prepared["resources"]],
    )
    return data


def _validation_text(error: ValidationError) -> str:
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in error.errors.items())
