"""Running ckanapi's own command line (the `ckanapi` installed beside the test's Python) against
live servers, as a site moving off CKAN would: `ckanapi dump …` and `ckanapi load …`.

ckanapi starts worker processes by running `ckanapi` from PATH, so the venv's bin folder goes
first on it. Load and dump report each record on stderr as
``<n> [<workers>] <time> <action> <error> <response>``; `records` reads those lines.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ckanapi

from support.live_server import LiveServer

CKANAPI = Path(sys.executable).with_name("ckanapi")
# "<n> [<jobs being done>] <seconds or ---> <action> <error> <response>"
_RECORD = re.compile(r"^\d+ \[[^\]]*\] \S+ (\S+) (\S+) ?(.*)$")


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str

    def records(self) -> list[tuple[str, str | None, Any]]:
        """(action, error or None, response) for every record a load reported."""
        found = []
        for line in self.stderr.splitlines():
            match = _RECORD.match(line)
            if match is None:
                continue
            action, error, response = match.group(1), match.group(2), match.group(3)
            try:
                decoded: Any = json.loads(response) if response else None
            except ValueError:
                decoded = response
            found.append((action, None if error == "None" else error, decoded))
        return found

    def failures(self) -> list[tuple[str, str | None, Any]]:
        return [r for r in self.records() if r[1] is not None]


def run(*args: str) -> Outcome:
    env = {**os.environ, "PATH": f"{CKANAPI.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [str(CKANAPI), *args], capture_output=True, text=True, env=env, timeout=600, check=False
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def dump(site: LiveServer, token: str, thing: str, output: Path, *options: str) -> Outcome:
    outcome = run("dump", thing, "--all", "-r", site.url, "-a", token, "-O", str(output), *options)
    assert outcome.returncode == 0, outcome.stderr
    return outcome


def load(site: LiveServer, token: str, thing: str, source: Path, *options: str) -> Outcome:
    return run("load", thing, "-I", str(source), "-r", site.url, "-a", token, *options)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def sysadmin(site: LiveServer, name: str = "migrator") -> tuple[str, ckanapi.RemoteCKAN]:
    """A sysadmin's API token on `site` and a client using it."""
    token = site.make_user(name, sysadmin=True)
    return token, site.ckan(token)
