"""The cookie-signing key made once per data directory, also when several worker processes
start at once on a new one (uvicorn --workers N): each gets the same key, none fails."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

from tsunagu.config import Settings
from tsunagu.web.secret import secret_key

PROCESSES = 4
ROUNDS = 40  # a new data directory each round: the window between "none yet" and "made" is short


def _keys_after(barrier: multiprocessing.synchronize.Barrier, data_dirs: list[str]) -> list[str]:
    keys = []
    for data_dir in data_dirs:
        barrier.wait()
        keys.append(secret_key(Settings(data_dir=Path(data_dir))))
    return keys


def test_workers_starting_at_once_share_one_key(tmp_path: Path) -> None:
    dirs = [tmp_path / f"data-{n}" for n in range(ROUNDS)]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(PROCESSES) as pool:
        barrier = manager.Barrier(PROCESSES, timeout=30)  # a failed process breaks it
        per_process = pool.starmap(_keys_after, [(barrier, [str(d) for d in dirs])] * PROCESSES)
    for n, data_dir in enumerate(dirs):
        keys = {keys[n] for keys in per_process}
        assert len(keys) == 1, f"round {n}: {len(keys)} keys"
        kept = data_dir / "secret_key"
        assert kept.read_text() == keys.pop()
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert [p.name for p in data_dir.iterdir()] == ["secret_key"]  # no scratch files left


def test_a_configured_key_wins_and_nothing_is_written(tmp_path: Path) -> None:
    assert secret_key(Settings(data_dir=tmp_path, secret_key="from-the-environment")) == (
        "from-the-environment"
    )
    assert list(tmp_path.iterdir()) == []
