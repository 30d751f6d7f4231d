"""The background snapshot writer: ``python -m tsunagu.search.snapshot_job``.

Started by a server whose overlay of changes since the host's snapshot has grown (see
snapshot_store); it builds the services from the server's TSUNAGU_* settings and writes a fresh
snapshot, or leaves it to another process already writing one. A module of its own, so that the
search package never imports the application's bootstrap.
"""

from __future__ import annotations

import logging
import sys

from tsunagu.bootstrap import build_services
from tsunagu.config import Settings

log = logging.getLogger("tsunagu.search.snapshot_store")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    services = build_services(Settings.from_env())
    with services.sessions() as session:
        written = services.search.write_snapshot(  # type: ignore[attr-defined]
            session, blocking=False, locked_by_parent="--locked-by-parent" in sys.argv
        )
    log.info("search snapshot %s", written or "not written: another process is writing one")
    services.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
