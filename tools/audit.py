"""`make audit`: two audits of a production-mode `crm serve` (fresh, seeded database, default
rate limits), each failing the target on what it finds.

1. graphql-http's server audits (GraphQL over HTTP conformance; Node, tools/graphql_http/),
   as an API client holding only the `introspection` scope (several audits look types up
   with `__type`, which production refuses without it): 0 errors and 0 warnings.
2. graphql-cop's checks (tools/graphql_cop.py) as a `read_only` user: no HIGH or MEDIUM
   finding but "GET Method Query Support".
"""

from __future__ import annotations

import os
import shutil
import subprocess

from bench.servers import ROOT
from tools.graphql_cop import run_checks, table
from tools.target import Target, production_server

OUT = ROOT / "var" / "audit"
GRAPHQL_HTTP = ROOT / "tools" / "graphql_http"


def graphql_http_audit(target: Target) -> bool:
    """Run the Node audit script; whether it found no error and no warning."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        raise SystemExit("make audit needs Node.js 20+ and npm")
    if not (GRAPHQL_HTTP / "node_modules").exists():
        install = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
        subprocess.run(install, cwd=GRAPHQL_HTTP, check=True)
    token = target.client_token("graphql-http audit", ("introspection",))
    env = {**os.environ, "CRM_AUDIT_URL": target.url, "CRM_AUDIT_TOKEN": token}
    print("== graphql-http server audits (an API client with the introspection scope)")
    done = subprocess.run([node, "audit.mjs"], cwd=GRAPHQL_HTTP, env=env, check=False)
    return done.returncode == 0


def graphql_cop_audit(target: Target) -> bool:
    """Run graphql-cop's checks as `read_only`; whether none failed."""
    print("== graphql-cop checks (a read_only user)")
    results = run_checks(target.url, target.tokens["read_only"])
    print(table(results))
    failing = [r.check.title for r in results if r.failing]
    print(f"failing: {', '.join(failing) if failing else 'none'}")
    return not failing


def main() -> None:
    with production_server(OUT / "server.log", ("read_only",), rate_limited=True) as target:
        http_ok = graphql_http_audit(target)
        cop_ok = graphql_cop_audit(target)
    raise SystemExit(0 if http_ok and cop_ok else 1)


if __name__ == "__main__":
    main()
