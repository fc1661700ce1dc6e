"""The local SageMaker in a process of its own, so its CPU is not charged to the measured commands.

Prints its URL on stdout, then serves until stdin closes.
"""

from __future__ import annotations

import sys

from drift.embedded import LocalSageMaker


def main() -> None:
    server = LocalSageMaker()
    print(server.start(), flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
