"""Throwaway PostgreSQL server for the test suite.

Starts a private cluster (initdb + pg_ctl) in a temporary directory on a free
127.0.0.1 port, so storage tests run against a real server without touching any
system cluster. When running as root the server runs as the ``postgres`` system
user, because PostgreSQL refuses to start as root.

Imported as ``support.postgres_server`` (``tests/`` is put on ``sys.path`` by
the conftest); it deliberately depends on nothing from ``tsunagu``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

PG_USER = "postgres"  # both the OS user (when root) and the superuser role
TEST_DB = "tsunagu_test"
START_TIMEOUT_S = 60
_START_ATTEMPTS = 3  # retries cover the small race between picking a port and binding it
_REQUIRED_BINS = ("initdb", "pg_ctl", "postgres")

# Why PostgreSQL is unavailable; set by check_available()/maybe_start(), "" when available.
UNAVAILABLE_REASON: str = ""

# Runs detached from pytest: blocks until its stdin pipe closes (i.e. the test
# process died, even via SIGKILL where atexit never runs), then kills the
# server and removes the temp dir. A clean stop() writes "done" first.
_WATCHDOG = r"""
import pwd, shutil, signal, subprocess, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
pg_ctl, datadir, tmpdir, user = sys.argv[1:5]
if sys.stdin.read().strip() != "done":
    kw = {}
    if user:
        kw = {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}
    subprocess.run([pg_ctl, "-D", datadir, "-m", "immediate", "-w", "stop"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/", **kw)
    shutil.rmtree(tmpdir, ignore_errors=True)
"""


def _version_key(path: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin: compare "15" / "9.6" numerically, not as text.
    return tuple(int(p) for p in re.findall(r"\d+", path.parent.name)) or (-1,)


def _complete(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in _REQUIRED_BINS)


def find_pg_bin() -> Path | None:
    """Directory holding initdb/pg_ctl/postgres: PATH first, else newest /usr/lib/postgresql."""
    pg_ctl, initdb = shutil.which("pg_ctl"), shutil.which("initdb")
    if pg_ctl and initdb:
        # Resolve symlinks: Debian's /usr/bin/pg_ctl may point at pg_wrapper, and the
        # real bin dir is also where the matching `postgres` binary lives.
        bindir = Path(pg_ctl).resolve().parent
        if Path(initdb).resolve().parent == bindir and _complete(bindir):
            return bindir
    candidates = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if _complete(p)]
    return max(candidates, key=_version_key) if candidates else None


def _run_as_user() -> pwd.struct_passwd | None:
    """The account to run the server as, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    return pwd.getpwnam(PG_USER)  # KeyError when missing; check_available() guards this


def check_available() -> str | None:
    """Return why a server cannot be started here, or None if it can (no server is started)."""
    global UNAVAILABLE_REASON
    reason: str | None = None
    if find_pg_bin() is None:
        reason = (
            "PostgreSQL binaries (initdb, pg_ctl, postgres) not found on PATH "
            "or under /usr/lib/postgresql/*/bin"
        )
    elif os.geteuid() == 0:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            reason = (
                f"running as root and no '{PG_USER}' system user exists; "
                "PostgreSQL refuses to run as root"
            )
    UNAVAILABLE_REASON = reason or ""
    return reason


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tmp_parent(user: pwd.struct_passwd | None) -> str | None:
    """Parent dir for the cluster; the server user must be able to traverse it."""
    base = Path(tempfile.gettempdir()).resolve()
    if user is None:
        return None
    # Root's TMPDIR may sit under /root (mode 0700), which postgres cannot enter.
    for part in (base, *base.parents):
        if not part.stat().st_mode & 0o001:
            return "/tmp"
    return str(base)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"<could not read {path}: {exc}>"


class PostgresServer:
    """A private PostgreSQL cluster; use as a context manager or call start()/stop()."""

    def __init__(self, bindir: Path | None = None, settings: dict[str, str] | None = None) -> None:
        """``settings``: postgresql.conf lines added last, e.g. the benchmarks' memory sizes."""
        found = bindir or find_pg_bin()
        self.settings = dict(settings or {})
        if found is None:
            raise RuntimeError("PostgreSQL binaries not found")
        self.bindir: Path = found
        self.user: pwd.struct_passwd | None = _run_as_user()
        self.tmpdir: Path | None = None
        self.datadir: Path | None = None
        self.logfile: Path | None = None
        self.port: int = 0
        self.url: str = ""
        self._running = False
        self._owner_pid = os.getpid()
        self._watchdog: subprocess.Popen[bytes] | None = None

    # -- process helpers -------------------------------------------------

    def _env(self) -> dict[str, str]:
        # Drop PG*/locale variables from the caller so they cannot redirect or alter the cluster.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PG", "LC_")) and k not in {"LANG", "LANGUAGE"}
        }
        env["LANG"] = "C"
        if self.user is not None:
            env.update(HOME=str(self.tmpdir), USER=PG_USER, LOGNAME=PG_USER)
        return env

    def _user_kwargs(self) -> dict[str, Any]:
        if self.user is None:
            return {}
        u = self.user
        # subprocess drops root via setgroups/setgid/setuid in the child (no runuser needed).
        return {
            "user": u.pw_uid,
            "group": u.pw_gid,
            "extra_groups": os.getgrouplist(u.pw_name, u.pw_gid),
        }

    def _run(self, *args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in args],
            capture_output=True,
            text=True,
            env=self._env(),
            cwd=self.tmpdir,  # the caller's cwd may be unreadable for the postgres user
            check=False,
            **self._user_kwargs(),
        )

    # -- lifecycle -------------------------------------------------------

    def start(self) -> PostgresServer:
        if self._running:
            return self
        self.tmpdir = Path(tempfile.mkdtemp(prefix="tsunagu-pg-", dir=_tmp_parent(self.user)))
        self.datadir = self.tmpdir / "data"
        self.logfile = self.tmpdir / "postgres.log"
        try:
            if self.user is not None:
                os.chown(self.tmpdir, self.user.pw_uid, self.user.pw_gid)
            self._initdb()
            self._start_server()
            self._running = True
            atexit.register(self.stop)
            self._spawn_watchdog()
            self.url = self._create(TEST_DB)
        except BaseException:
            self.stop()
            raise
        return self

    def _initdb(self) -> None:
        assert self.datadir is not None
        base = [self.bindir / "initdb", "-D", self.datadir, "-A", "trust", "-U", PG_USER]
        base += ["--encoding=UTF8", "--no-sync"]  # no-sync: throwaway data, skip fsync
        res = self._run(*base, "--locale=C.UTF-8")
        if res.returncode != 0:
            # C.UTF-8 is missing on some minimal images; plain C is fine for tests.
            shutil.rmtree(self.datadir, ignore_errors=True)
            res = self._run(*base, "--no-locale")
        if res.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{res.stdout}\n{res.stderr}")

    def _write_config(self) -> None:
        assert self.datadir is not None and self.tmpdir is not None
        conf = f"""
# --- tsunagu test settings (later lines override the defaults above) ---
listen_addresses = '127.0.0.1'
port = {self.port}
unix_socket_directories = '{self.tmpdir}'
max_connections = 100
# throwaway cluster: durability is irrelevant, speed matters
fsync = off
synchronous_commit = off
full_page_writes = off
"""
        conf += "".join(f"{name} = '{value}'\n" for name, value in self.settings.items())
        with (self.datadir / "postgresql.conf").open("a") as fh:
            fh.write(conf)

    def _start_server(self) -> None:
        assert self.datadir is not None and self.logfile is not None
        for attempt in range(1, _START_ATTEMPTS + 1):
            self.port = _free_port()
            self._write_config()
            res = self._run(
                self.bindir / "pg_ctl",
                *("-D", self.datadir, "-l", self.logfile),
                *("-w", "-t", str(START_TIMEOUT_S), "start"),
            )
            if res.returncode == 0:
                return
            log = _tail(self.logfile)
            port_taken = "could not bind" in log or "already in use" in log
            if port_taken and attempt < _START_ATTEMPTS:
                continue  # someone grabbed the port in between; try another one
            raise RuntimeError(
                f"pg_ctl start failed (exit {res.returncode}):\n{res.stdout}\n{res.stderr}\n"
                f"--- tail of {self.logfile} ---\n{log}"
            )

    def _spawn_watchdog(self) -> None:
        assert self.datadir is not None and self.tmpdir is not None
        args = [str(self.bindir / "pg_ctl"), str(self.datadir), str(self.tmpdir)]
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, *args, self.user.pw_name if self.user else ""],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not hit by the terminal's Ctrl-C aimed at pytest
            env=self._env(),
            cwd="/",
        )

    def stop(self) -> None:
        """Immediate shutdown and removal of the temp dir; idempotent."""
        if os.getpid() != self._owner_pid:
            return  # a forked child must not tear down the parent's server
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
        if self._running and self.datadir is not None:
            self._run(self.bindir / "pg_ctl", "-D", self.datadir, "-m", "immediate", "-w", "stop")
            self._running = False
        if self._watchdog is not None:
            with contextlib.suppress(Exception):
                assert self._watchdog.stdin is not None
                self._watchdog.stdin.write(b"done\n")
                self._watchdog.stdin.close()
                self._watchdog.wait(timeout=10)
            if self._watchdog.poll() is None:
                self._watchdog.send_signal(signal.SIGKILL)
            self._watchdog = None
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- databases -------------------------------------------------------

    def url_for(self, dbname: str) -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{dbname}"

    def _create(self, name: str, template: str | None = None) -> str:
        import psycopg  # local import: module stays importable where psycopg is absent
        from psycopg import sql

        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(statement)
        return self.url_for(name)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create a database, empty or a copy of ``template`` (which nobody may be connected
        to), and return its SQLAlchemy URL."""
        if not self._running:
            raise RuntimeError("server is not running")
        return self._create(name, template)


def maybe_start(settings: dict[str, str] | None = None) -> PostgresServer | None:
    """Start a server, or return None (reason in UNAVAILABLE_REASON) if impossible here.

    Missing binaries / missing postgres user give None; a server that exists but
    fails to start raises RuntimeError, since that is a real breakage worth seeing.
    """
    if check_available() is not None:
        return None
    return PostgresServer(settings=settings).start()


def _main() -> None:
    # Manual smoke test: python tests/support/postgres_server.py
    t0 = time.perf_counter()
    server = maybe_start()
    if server is None:
        print(f"unavailable: {UNAVAILABLE_REASON}")
        return
    t1 = time.perf_counter()
    print(f"started {server.url} in {t1 - t0:.2f}s")
    server.stop()
    print(f"stopped in {time.perf_counter() - t1:.2f}s")


if __name__ == "__main__":
    _main()
