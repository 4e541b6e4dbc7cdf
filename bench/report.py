"""The results table on stdout and as JSON in bench/results/latest.json."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# (key, heading, width, format): text columns left-aligned, figures right-aligned.
COLUMNS = (
    ("database", "database", 8, "<"),
    ("workload", "workload", 8, "<"),
    ("server", "server", 7, "<"),
    ("rps", "req/s", 7, ">.1f"),
    ("p50_ms", "p50 ms", 7, ">.1f"),
    ("p99_ms", "p99 ms", 7, ">.1f"),
    ("sql", "sql", 4, ">"),
    ("transactions", "tx", 3, ">"),
    ("connects_per_request", "conn/req", 8, ">.2f"),
    ("server_cores", "server", 6, ">.2f"),
    ("client_cores", "client", 6, ">.2f"),
    ("db_cores", "pg", 5, ">.2f"),
    ("other_cores", "other", 5, ">.2f"),
    ("errors", "errors", 6, ">"),
)


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": _git_commit(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def table(rows: list[dict[str, Any]]) -> str:
    """A fixed-width table of the measured rows, then the GraphQL/raw ratios."""
    lines = [" ".join(f"{heading:{fmt[0]}{width}}" for _, heading, width, fmt in COLUMNS)]
    lines += [
        " ".join(format(row[key], f"{fmt[0]}{width}{fmt[1:]}") for key, _, width, fmt in COLUMNS)
        for row in rows
    ]
    lines.append("(server/client/pg/other: CPU cores used during the run)")
    for ratio in ratios(rows):
        lines.append(
            f"{ratio['database']:<8} {ratio['workload']:<7} GraphQL/raw throughput: "
            f"{ratio['rps_ratio']:.2f} (target >= 0.50 for page)"
        )
    return "\n".join(lines)


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """GraphQL throughput as a fraction of the raw endpoint's, per database and workload."""
    by_key = {(row["database"], row["workload"], row["server"]): row for row in rows}
    found = []
    for (database, workload, server), row in by_key.items():
        raw = by_key.get((database, workload, "raw"))
        if server == "graphql" and raw and raw["rps"]:
            found.append(
                {
                    "database": database,
                    "workload": workload,
                    "rps_ratio": round(row["rps"] / raw["rps"], 3),
                    "p50_ratio": round(row["p50_ms"] / raw["p50_ms"], 3),
                }
            )
    return found


def write(payload: dict[str, Any], name: str = "latest.json") -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / name
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
