"""The engine's side of the protocol: what one job offers its harvester (protocol.Run)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from tsunagu.context import Services
from tsunagu.harvest.models import HarvestObject, HarvestSource
from tsunagu.harvest.protocol import Known, Limits
from tsunagu.net import fetch as net


def limits_for(services: Services) -> Limits:
    s = services.settings
    return Limits(
        max_response_bytes=s.harvest_max_response_bytes,
        max_record_bytes=s.harvest_max_record_bytes,
        max_resources=s.harvest_max_resources,
        max_records=s.harvest_max_records,
        timeout=s.harvest_timeout,
    )


class JobRun:
    """One job's run of a source's harvester."""

    def __init__(
        self,
        services: Services,
        source: HarvestSource,
        *,
        since: datetime | None,
        list_all: bool,
        deadline: float,
    ) -> None:
        self.services = services
        self.source_id = source.id
        self.source_url = source.url
        self.config: Mapping[str, Any] = dict(source.config or {})
        self.api_key = source.api_key or ""
        self.since = since
        self.list_all = list_all
        self.limits = limits_for(services)
        self.deadline = deadline
        self.listed_keys: set[str] | None = None
        self.warnings: list[tuple[str, bool]] = []
        self.message = ""
        self.done = 0
        self.total: int | None = None
        self.cancelled = threading.Event()
        self._known: dict[str, Known] | None = None
        self._networks = net.networks(services.settings.harvest_private_networks)

    # -- protocol.Run -------------------------------------------------------------------------

    def fetch(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> net.Fetched:
        timeout = self.limits.timeout
        return net.fetch_bytes(
            url,
            max_bytes=max_bytes or self.limits.max_response_bytes,
            allowed_networks=self._networks,
            headers={"User-Agent": "Tsunagu-harvester/1.0", **(headers or {})},
            params=params,
            timeout=timeout,
            # A whole answer (a 50 MB page) may take longer than one read; never forever.
            total_seconds=max(timeout * 4, 10.0),
        )

    def known(self) -> Mapping[str, Known]:
        if self._known is None:
            with self.services.sessions() as session:
                rows = session.execute(
                    select(
                        HarvestObject.key,
                        HarvestObject.remote_name,
                        HarvestObject.dataset_id,
                        HarvestObject.state,
                    ).where(HarvestObject.source_id == self.source_id)
                )
                self._known = {
                    key: Known(key, name or "", dataset_id, state == "withdrawn")
                    for key, name, dataset_id, state in rows
                }
        return self._known

    def listed(self, keys: Iterable[str]) -> None:
        self.listed_keys = (self.listed_keys or set()) | set(keys)

    def progress(self, message: str, done: int | None = None, total: int | None = None) -> None:
        self.message = message
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total

    def stopping(self) -> bool:
        return self.cancelled.is_set() or time.monotonic() > self.deadline

    def warn(self, message: str, *, incomplete: bool = True) -> None:
        self.warnings.append((message, incomplete))

    # -- for the engine -----------------------------------------------------------------------

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    def progress_dict(self) -> dict[str, Any]:
        return {"done": self.done, "total": self.total, "message": self.message}
