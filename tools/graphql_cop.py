"""graphql-cop's checks (github.com/dolevf/graphql-cop, 1.14; not on PyPI), re-implemented with
its titles, requests, verdicts and severities, run against one GraphQL endpoint with one token.

Each check sends what graphql-cop sends and reads the answer as it does: a check is
*vulnerable* when the server did what the attack needs (answered 101 aliases, ran a batch of
10, served GraphiQL, ...). The table it prints has one row per check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

HIGH, MEDIUM, LOW, INFO = "HIGH", "MEDIUM", "LOW", "INFO"
# Allowed by the GraphQL-over-HTTP specification for queries; the one accepted MEDIUM.
ACCEPTED = frozenset({"GET Method Query Support"})

# graphql-cop 1.14's directive ladder: a baseline, then more and more repeated directives; a
# request this many times slower than the baseline means validation blows up.
DIRECTIVE_LADDER = (0, 10, 100, 500, 1000)
SLOW_FACTOR = 10
LIMIT_SIGNAL = re.compile(
    r"too many directives|directive.*limit|exceeds maximum|query complexity|depth limit|"
    r"maxDirectives",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    vulnerable: bool
    evidence: str


@dataclass(frozen=True)
class Check:
    title: str
    description: str
    impact: str
    severity: str
    run: Callable[[Probe], Verdict]


@dataclass(frozen=True)
class Result:
    check: Check
    verdict: Verdict

    @property
    def failing(self) -> bool:
        """A vulnerability the target must not have: HIGH or MEDIUM, and not accepted."""
        return (
            self.verdict.vulnerable
            and self.check.severity in (HIGH, MEDIUM)
            and self.check.title not in ACCEPTED
        )


class Probe:
    """Sends graphql-cop's requests, with the caller's token, to one endpoint."""

    def __init__(self, client: httpx.Client, url: str) -> None:
        self.client = client
        self.url = url

    def query(self, document: str) -> httpx.Response:
        """graphql-cop's POST: a JSON body naming the operation `cop`."""
        return self.client.post(self.url, json={"query": document, "operationName": "cop"})

    def batch(self, document: str, size: int = 10) -> httpx.Response:
        return self.client.post(self.url, json=[{"query": document}] * size)

    def get(self, params: dict[str, str] | None = None, **headers: str) -> httpx.Response:
        return self.client.get(self.url, params=params, headers=headers)

    def post_params(self, params: dict[str, str]) -> httpx.Response:
        """A POST with the query in the URL and no JSON body (what a cross-site form sends)."""
        return self.client.post(self.url, params=params)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _path(body: Any, *keys: str | int) -> Any:
    for key in keys:
        if isinstance(key, int):
            if not isinstance(body, list) or len(body) <= key:
                return None
        elif not isinstance(body, dict):
            return None
        body = body[key] if isinstance(key, int) else body.get(key)
    return body


def evidence(response: httpx.Response) -> str:
    """The status and the first error message (or the data's start) of a response."""
    body = _json(response)
    message = _path(body, "errors", 0, "message")
    if message is None:
        message = str(_path(body, "data") if isinstance(body, dict) else body)
    return f"{response.status_code} {str(message)[:90]}"


def data_at(response: httpx.Response, *keys: str | int) -> Verdict:
    """Vulnerable when the response carries data at ``keys`` (the attack was answered)."""
    return Verdict(bool(_path(_json(response), "data", *keys)), evidence(response))


def alias_overloading(probe: Probe) -> Verdict:
    aliases = " ".join(f"alias{i}:__typename" for i in range(101))
    return data_at(probe.query(f"query cop {{ {aliases} }}"), "alias100")


def array_batching(probe: Probe) -> Verdict:
    response = probe.batch("query cop { __typename }")
    body = _json(response)
    return Verdict(isinstance(body, list) and len(body) >= 10, evidence(response))


def directive_overloading(probe: Probe) -> Verdict:
    baseline: float | None = None
    last = "no request"
    for count in DIRECTIVE_LADDER:
        try:
            response = probe.query("query cop { __typename " + "@skip(if:true)" * count + " }")
        except httpx.TransportError as exc:  # the payload took the server down
            return Verdict(count > 0, f"{type(exc).__name__} at {count} directives")
        elapsed = response.elapsed.total_seconds()
        last = f"{count} directives: {evidence(response)} in {elapsed * 1000:.0f} ms"
        if count and LIMIT_SIGNAL.search(response.text):
            return Verdict(False, last)
        if count and response.status_code >= 500:
            return Verdict(True, last)
        if count == 0:
            baseline = elapsed
        elif baseline and elapsed > baseline * SLOW_FACTOR:
            return Verdict(True, f"{last}, baseline {baseline * 1000:.0f} ms")
    return Verdict(False, last)


def circular_introspection(probe: Probe) -> Verdict:
    nested = "fields { type { " * 4 + "name" + " } }" * 4
    response = probe.query(f"query cop {{ __schema {{ types {{ {nested} }} }} }}")
    types = _path(_json(response), "data", "__schema", "types")
    return Verdict(isinstance(types, list) and len(types) > 25, evidence(response))


def circular_fragment(probe: Probe) -> Verdict:
    response = probe.query(
        "query cop { __schema { ...A } } "
        "fragment A on __Schema { __typename ...B } fragment B on __Schema { ...A }"
    )
    body = _json(response)
    return Verdict(isinstance(body, dict) and "errors" not in body, evidence(response))


def field_duplication(probe: Probe) -> Verdict:
    return data_at(probe.query("query cop { " + "__typename\n" * 500 + "}"), "__typename")


def field_suggestions(probe: Probe) -> Verdict:
    response = probe.query("query cop { __schema { directive } }")
    message = str(_path(_json(response), "errors", 0, "message") or "")
    return Verdict("Did you mean" in message, evidence(response))


def get_method_support(probe: Probe) -> Verdict:
    return data_at(probe.get({"query": "query cop {__typename}"}), "__typename")


def get_based_mutation(probe: Probe) -> Verdict:
    return data_at(probe.get({"query": "mutation cop {__typename}"}), "__typename")


def post_based_csrf(probe: Probe) -> Verdict:
    return data_at(probe.post_params({"query": "query cop {__typename}"}), "__typename")


GRAPHIQL_MARKS = ("graphiql.min.css", "GraphQL Playground", "GraphiQL", "graphql-playground")


def graphql_ide(probe: Probe) -> Verdict:
    response = probe.get(Accept="text/html")
    found = any(mark in response.text for mark in GRAPHIQL_MARKS)
    return Verdict(found, f"{response.status_code} {response.headers.get('content-type', '')}")


def introspection(probe: Probe) -> Verdict:
    response = probe.query("query cop { __schema { types { name fields { name } } } }")
    return data_at(response, "__schema", "types")


def _extension_in_errors(response: httpx.Response, name: str) -> bool:
    body = _json(response)
    if _path(body, "errors", 0, "extensions", name):
        return True
    return f"'extensions': {{'{name}':" in str(body).lower()


def trace_mode(probe: Probe) -> Verdict:
    response = probe.query("query cop { __typename }")
    return Verdict(_extension_in_errors(response, "tracing"), evidence(response))


def unhandled_errors(probe: Probe) -> Verdict:
    response = probe.query("qwerty cop { abc }")
    return Verdict(_extension_in_errors(response, "exception"), evidence(response))


DOS, LEAK, CSRF = "Denial of Service", "Information Leakage", "Possible CSRF"
CHECKS = (
    Check(
        "Alias Overloading",
        "Alias Overloading with 100+ aliases is allowed",
        DOS,
        HIGH,
        alias_overloading,
    ),
    Check(
        "Array-based Query Batching",
        "Batch queries allowed with 10+ simultaneous queries",
        DOS,
        HIGH,
        array_batching,
    ),
    Check(
        "Directive Overloading",
        "Multiple duplicated directives allowed in a query",
        DOS,
        HIGH,
        directive_overloading,
    ),
    Check(
        "Introspection-based Circular Query",
        "Circular-query using Introspection",
        DOS,
        HIGH,
        circular_introspection,
    ),
    Check("Circular Fragment", "Circular Fragment allowed in Query", DOS, HIGH, circular_fragment),
    Check(
        "Field Duplication",
        "Queries are allowed with 500 of the same repeated field",
        DOS,
        HIGH,
        field_duplication,
    ),
    Check("Field Suggestions", "Field Suggestions are Enabled", LEAK, LOW, field_suggestions),
    Check(
        "GET Method Query Support",
        "GraphQL queries allowed using the GET method",
        CSRF,
        MEDIUM,
        get_method_support,
    ),
    Check(
        "Mutation is allowed over GET (possible CSRF)",
        "GraphQL mutations allowed using the GET method",
        CSRF,
        MEDIUM,
        get_based_mutation,
    ),
    Check(
        "POST based url-encoded query (possible CSRF)",
        "GraphQL accepts non-JSON queries over POST",
        CSRF,
        MEDIUM,
        post_based_csrf,
    ),
    Check("GraphQL IDE", "GraphiQL Explorer/Playground Enabled", LEAK, LOW, graphql_ide),
    Check("Introspection", "Introspection Query Enabled", LEAK, HIGH, introspection),
    Check("Trace Mode", "Tracing is Enabled", LEAK, INFO, trace_mode),
    Check(
        "Unhandled Errors Detection",
        "Exception errors are not handled",
        LEAK,
        INFO,
        unhandled_errors,
    ),
)


def run_checks(url: str, token: str) -> list[Result]:
    """Every check against ``url``, as the principal of ``token``."""
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "graphql-cop checks (crm)"}
    with httpx.Client(headers=headers, timeout=60.0) as client:
        probe = Probe(client, url)
        return [Result(check, check.run(probe)) for check in CHECKS]


def table(results: list[Result]) -> str:
    """The results as a Markdown table, worst first."""
    order = {HIGH: 0, MEDIUM: 1, LOW: 2, INFO: 3}
    rows = ["| severity | check | result | answer |", "| --- | --- | --- | --- |"]
    for result in sorted(results, key=lambda r: order[r.check.severity]):
        if not result.verdict.vulnerable:
            outcome = "not vulnerable"
        elif result.failing:
            outcome = "**VULNERABLE**"
        else:
            outcome = "accepted" if result.check.title in ACCEPTED else "vulnerable"
        answer = result.verdict.evidence.replace("|", "\\|")
        rows.append(f"| {result.check.severity} | {result.check.title} | {outcome} | {answer} |")
    return "\n".join(rows)
