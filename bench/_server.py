"""The local SageMaker in a process of its own, so its CPU is not charged to the measured commands.

Prints its URL on stdout, then reads control lines on stdin until stdin closes, answering each with `ok`:

    freeze               Search(Resource=Model) stops following the models (a lagging index)
    refresh              take the index again now (it stays frozen if frozen)
    thaw                 back to an index taken on every Search
    fail_search CODE     every Search(Resource=Model) answers CODE (AccessDeniedException, ValidationException)
    fail_search none     Search answers again
"""

from __future__ import annotations

import sys

from drift.embedded import LocalSageMaker


def control(server: LocalSageMaker, line: str) -> str:
    command, *args = line.split()
    if command == "freeze":
        server.freeze_search_index()
    elif command == "refresh":
        server.refresh_search_index()
    elif command == "thaw":
        server.thaw_search_index()
    elif command == "fail_search" and len(args) == 1:
        server.fail_search(None if args[0] == "none" else args[0])
    else:
        return f"unknown command {line.strip()!r}"
    return "ok"


def main() -> None:
    server = LocalSageMaker()
    print(server.start(), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(control(server, line), flush=True)
    server.stop()


if __name__ == "__main__":
    main()
