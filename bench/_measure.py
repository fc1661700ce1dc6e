"""Run one command and record its wall time, CPU time and peak RSS in a JSON file.

A small wrapper process does the fork, so the peak RSS is the command's own, not the benchmark
parent's memory copied at fork time.  Usage: python bench/_measure.py OUT.json COMMAND...
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main() -> None:
    out, command = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    code = subprocess.run(command, check=False).returncode
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w") as handle:
        json.dump({"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime, "rss_kb": usage.ru_maxrss,
                   "exit": code}, handle)


if __name__ == "__main__":
    main()
