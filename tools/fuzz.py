"""`make fuzz`: schemathesis generates GraphQL requests from `schema.graphql` against a
production-mode `crm serve` on a fresh, seeded database and fails on any 5xx or
INTERNAL_SERVER_ERROR (tools/fuzz_hooks.py), or any error the server logs.

FUZZ_SECONDS (default 120) is the whole budget: two thirds as an admin (every field and
mutation), one third as `read_only` (refusals, masking, scope checks), in rounds of at most
ROUND_SECONDS, each with the ids the database holds by then (tools/fuzz_dictionary.py).
FUZZ_SEED fixes the generator. Crash files (for `schemathesis replay`), JUnit reports, the
generated configuration and the server's log go to var/fuzz/.
"""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import graphql

from bench.servers import ROOT
from tools.fuzz_dictionary import ANY, read_ids, write_config
from tools.target import Target, production_server

OUT = ROOT / "var" / "fuzz"
SCHEMA_FILE = ROOT / "schema.graphql"
ROUND_SECONDS = 150


@dataclass(frozen=True)
class Served:
    """What the server's log says about the run."""

    requests: int
    statuses: dict[int, int]
    errors: list[str]


def rounds(seconds: int) -> list[int]:
    """``seconds`` cut into rounds of at most ROUND_SECONDS."""
    count = -(-seconds // ROUND_SECONDS)
    return [seconds // count + (1 if i < seconds % count else 0) for i in range(count)]


def schemathesis_run(target: Target, role: str, seconds: int, seed: int, config: Path) -> int:
    """One schemathesis run as ``role``; its exit status."""
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tools.fuzz_hooks", "PYTHONPATH": str(ROOT)}
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run"),
        *(str(SCHEMA_FILE), "--url", target.url),
        *("--header", f"Authorization: Bearer {target.tokens[role]}"),
        *("--max-time", str(seconds), "--seed", str(seed), "--workers", "2"),
        *("--checks", "no_internal_error", "--continue-on-failure"),
        *("--report", "junit", "--report-dir", str(OUT / role), "--no-color"),
    ]
    print(f"== fuzzing as {role} for {seconds} s (seed {seed})", flush=True)
    # The crash cache (.schemathesis/) and hypothesis' database go under the working directory.
    return subprocess.run(command, env=env, cwd=OUT, check=False).returncode


def read_log(log: Path) -> Served:
    statuses: collections.Counter[int] = collections.Counter()
    errors = []
    for line in log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            errors.append(line)  # a traceback or anything else not written by the JSON logger
            continue
        if entry.get("path") == "/graphql" and "status" in entry:
            statuses[entry["status"]] += 1
        if entry.get("level") in ("error", "critical"):
            errors.append(line)
    return Served(sum(statuses.values()), dict(sorted(statuses.items())), errors)


def _error_summary(line: str) -> str:
    """An error log line as its message and the innermost frames of its exception."""
    try:
        entry = json.loads(line)
    except ValueError:
        return line[:500]
    trace = entry.get("exception", "").strip().splitlines()
    frames = [t.strip() for t in trace if t.strip().startswith("File ")][-2:]
    message = re.sub(r"[0-9a-f]{32}", "<id>", entry.get("message", ""))
    return " | ".join([f"{entry.get('logger')}: {message}", *frames, *trace[-1:]])


def main() -> None:
    seconds = int(os.environ.get("FUZZ_SECONDS", "120"))
    seed = int(os.environ.get("FUZZ_SEED", "42"))
    OUT.mkdir(parents=True, exist_ok=True)
    schema = graphql.build_schema(SCHEMA_FILE.read_text())
    budgets = {"admin": max(1, seconds * 2 // 3), "read_only": max(1, seconds - seconds * 2 // 3)}
    config = OUT / "schemathesis.toml"
    statuses = []
    with production_server(OUT / "server.log", tuple(budgets)) as target:
        for role, budget in budgets.items():
            for index, round_seconds in enumerate(rounds(budget)):
                ids = read_ids(target.url, target.tokens["admin"], schema)
                bound = write_config(config, ids, schema)
                print(f"== {len(ids[ANY])} ids bound to {bound} arguments")
                status = schemathesis_run(target, role, round_seconds, seed + index, config)
                statuses.append(status)
    served = read_log(OUT / "server.log")
    print(f"== served {served.requests} GraphQL requests, by status {served.statuses}")
    print(f"== server log: {OUT / 'server.log'} ({len(served.errors)} errors)")
    for summary, count in collections.Counter(map(_error_summary, served.errors)).items():
        print(f"{count} x {summary}")
    failed = any(statuses) or served.errors or any(s >= 500 for s in served.statuses)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
