"""Helpers for harvest tests: a harvesting server that may reach 127.0.0.1, and running a source
until its job ends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ckanapi

from support import databases
from support.live_server import LiveServer
from support.waiting import wait_until

FINISHED = ("complete", "error", "cancelled")


def harvesting_server(backend: str, tmp: Path, **overrides: Any) -> LiveServer:
    """A server whose harvests may reach loopback servers (the test's own CKAN stand-ins)."""
    settings: dict[str, Any] = {
        "harvest_private_networks": ("127.0.0.1",),
        "harvest_schedule_seconds": 0.5,
        **overrides,
    }
    return LiveServer(
        data_dir=tmp, database_url=databases.database_url_for(backend, tmp), overrides=settings
    ).start()


def wait_for_job(ckan: ckanapi.RemoteCKAN, job_id: str) -> dict[str, Any]:
    return wait_until(
        lambda: ckan.action.harvest_job_show(id=job_id),
        f"harvest job {job_id} to end",
        until=lambda job: job["job_status"] in FINISHED,
    )


def harvest(ckan: ckanapi.RemoteCKAN, source: str, *, full: bool = False) -> dict[str, Any]:
    """Run the source now and return its job once it has ended (with every error)."""
    job = ckan.action.harvest_run(id=source, full=full)
    return wait_for_job(ckan, job["id"])


def harvested(ckan: ckanapi.RemoteCKAN, organization: str) -> dict[str, dict[str, Any]]:
    """The organisation's datasets (private ones too), by their harvest key (remote id)."""
    found = ckan.action.package_search(
        fq=f"organization:{organization}", rows=1000, include_private=True
    )["results"]
    out: dict[str, dict[str, Any]] = {}
    for package in found:
        extras = {e["key"]: e["value"] for e in package["extras"]}
        out[extras.get("harvest_original_url", package["name"])] = package
    return out


def extras_of(package: dict[str, Any]) -> dict[str, str]:
    return {e["key"]: e["value"] for e in package["extras"]}
