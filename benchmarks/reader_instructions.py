"""Instructions per row of the ingest's reader, counted by valgrind, for changes too small for
this machine's wall clock.

Wall-time A/B runs of the reader swing by a tenth or more with the host; the number of
instructions a process executes does not. For each source tree (this checkout's src/ and, with
``--before REF``, the same with the datastore's files as at REF) a child process runs under
callgrind what the ingest's reader process does (``ingest.parallel._read``: read, blank, convert
and pack the rows for the pipe) over the first SMALL and the first LARGE rows of the datastore
benchmark's file. (instructions at LARGE - at SMALL) / (LARGE - SMALL) is the cost of one row,
with the interpreter's start, the imports and the layout detection cancelled out. The same is
measured for reading the rows alone (``read_table``, as the quality checks do).

Usage: ``python benchmarks/reader_instructions.py [--before REF] [--small 50000] [--large 200000]``
Needs valgrind (``apt-get install valgrind``). About a minute and a half per tree and stage at
the default sizes; nothing is written to benchmarks/results.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections import deque
from pathlib import Path

STAGES = ("reader", "rows")
_COLLECTED = re.compile(r"Collected : (\d+)")


def _child(src: str, path: str, stage: str) -> None:
    """Run inside valgrind: one stage over one file, with the code of ``src``."""
    sys.path.insert(0, src)
    import io
    from itertools import islice

    from tsunagu.datastore import pipeline
    from tsunagu.datastore.ingest import parallel
    from tsunagu.datastore.ingest.infer import infer_types
    from tsunagu.datastore.ingest.readers import read_table

    if stage == "rows":
        deque(read_table(Path(path), "CSV").rows, 0)
        return
    raw = read_table(Path(path), "CSV")
    kinds = infer_types(raw.columns, [cells for _, cells in islice(raw.rows, 1000)])
    raw.rows.close()  # type: ignore[attr-defined]
    left = pipeline._left_to_this_process("sqlite", kinds)
    job = parallel.ReadJob(
        path, "CSV", None, raw.columns, kinds, "sqlite", pipeline.CONVERT_ROWS, left
    )
    parallel._read(job, io.BytesIO())


def instructions(src: Path, path: Path, stage: str) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    command += [sys.executable, __file__, "--child", str(src), str(path), stage]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = _COLLECTED.search(done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="also measure the datastore's files as at this ref")
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--large", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=1_000_000, help="the benchmark file's size")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return 0
    # Imported here, not in the child: importing the config takes a snapshot of src/.
    from datastore_bench.config import SRC, before_source
    from datastore_bench.helpers import log
    from datastore_bench.source_file import prefix_file, source_file

    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    source = source_file(args.rows, args.seed)
    files = {n: prefix_file(source, n) for n in (args.small, args.large)}
    trees = {"after": SRC}
    if args.before:
        before, changed = before_source(args.before, ["src/tsunagu/datastore"])
        if before is None:
            log(f"no file under src/tsunagu/datastore differs from {args.before}")
        else:
            trees = {"before": before, "after": SRC}
            log(f"before: {len(changed)} files as at {args.before}")
    per_row: dict[tuple[str, str], float] = {}
    for stage in STAGES:
        for name, tree in trees.items():
            counts = {n: instructions(tree, path, stage) for n, path in files.items()}
            per_row[name, stage] = (counts[args.large] - counts[args.small]) / (
                args.large - args.small
            )
            log(f"{stage} ({name}): {per_row[name, stage]:,.0f} instructions a row")
    print(f"\n| stage | {' | '.join(trees)} |" + (" after ÷ before |" if len(trees) > 1 else ""))
    print("|---|" + "---:|" * (len(trees) + (len(trees) > 1)))
    for stage in STAGES:
        cells = [f"{per_row[name, stage]:,.0f}" for name in trees]
        if len(trees) > 1:
            cells.append(f"{per_row['after', stage] / per_row['before', stage]:.3f}")
        print(f"| {stage} | {' | '.join(cells)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
