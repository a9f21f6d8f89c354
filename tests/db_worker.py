"""A process that uses the database the way an app process does, for the backup and deployment tests.

    python -m tests.db_worker hold DB            open the database, print "ready", wait for stdin to close
    python -m tests.db_worker talk DB STOP ID... practise in these sessions (offline engine) until the
                                                 file STOP exists; print how many exchanges it stored
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.core.db import Store
from simulator.core.settings import DATA_DIR


def hold(db: str) -> None:
    with Store(db).db() as conn:
        conn.execute("select count(*) from sqlite_master").fetchone()
    print("ready", flush=True)
    sys.stdin.read()


def talk(db: str, stop: str, session_ids: list[str]) -> None:
    practice = Practice(store=Store(db), library=CaseLibrary.load(DATA_DIR / "patients"), engine=OfflineEngine())
    from simulator.cbt import moves

    moves.warm().join()  # load the recogniser first: the test is about writing at the same time
    print("ready", flush=True)
    done, n = Path(stop), 0
    while not done.exists():
        sid = session_ids[n % len(session_ids)]
        practice.say(sid, f"Message {n} from process {__import__('os').getpid()}: what went through your mind?")
        "".join(practice.respond(sid))
        n += 1
        time.sleep(0.001)
    print(n, flush=True)


if __name__ == "__main__":
    command, db, *rest = sys.argv[1:]
    if command == "hold":
        hold(db)
    else:
        talk(db, rest[0], rest[1:])
