"""CPU accounting from /proc (Linux): the server's, the load generator's and everyone else's."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def process_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def named_seconds(command: str) -> float:
    """CPU seconds used so far by the processes called ``command`` (e.g. "postgres"), the ones
    that ended included: a backend's time moves to its parent's children time when it exits,
    so a connection closed during a measurement does not take its CPU time with it."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        if text[text.index("(") + 1 : text.rindex(")")] == command:
            fields = text.rsplit(")", 1)[1].split()
            # utime, stime, and cutime, cstime: its waited-for children's.
            total += sum(int(value) for value in fields[11:15])
    return total / TICK


def machine_busy_seconds() -> float:
    """CPU seconds all processors spent busy (not idle, not waiting on IO) since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    guest = sum(values[8:10]) if len(values) > 9 else 0  # already counted in user and nice
    return (sum(values) - idle - guest) / TICK


def children_seconds() -> float:
    """CPU seconds used by this process's finished, waited-for children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Sample:
    machine: float
    server: float
    children: float
    database: float

    @classmethod
    def take(cls, server_pid: int) -> Sample:
        return cls(
            machine_busy_seconds(),
            process_seconds(server_pid),
            children_seconds(),
            named_seconds("postgres"),
        )


def usage(before: Sample, after: Sample, wall: float) -> dict[str, float]:
    """Cores used over ``wall`` seconds by the server, load generator, PostgreSQL and the rest."""
    server = (after.server - before.server) / wall
    client = (after.children - before.children) / wall
    database = (after.database - before.database) / wall
    machine = (after.machine - before.machine) / wall
    return {
        "server_cores": round(server, 2),
        "client_cores": round(client, 2),
        "db_cores": round(database, 2),
        "other_cores": round(max(0.0, machine - server - client - database), 2),
    }


def wait_until_quiet(limit: float, max_wait: float, window: float = 1.0) -> float:
    """Sample busy cores per ``window`` until at most ``limit`` or ``max_wait`` has passed."""
    waited = 0.0
    while True:
        before = machine_busy_seconds()
        time.sleep(window)
        busy = (machine_busy_seconds() - before) / window
        waited += window
        if busy <= limit or waited >= max_wait:
            return round(busy, 2)
