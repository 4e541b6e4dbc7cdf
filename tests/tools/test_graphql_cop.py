"""The verdicts of the graphql-cop checks (tools/graphql_cop.py), on canned answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tools.graphql_cop import (
    CHECKS,
    Probe,
    Result,
    Verdict,
    alias_overloading,
    array_batching,
    directive_overloading,
    field_suggestions,
    table,
)


class ScriptedProbe(Probe):
    """Answers each request with the next canned response."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.sent: list[Any] = []

    def query(self, document: str) -> httpx.Response:
        self.sent.append(document)
        return self.answers.pop(0)

    def batch(self, document: str, size: int = 10) -> httpx.Response:
        self.sent.append([document] * size)
        return self.answers.pop(0)


def answer(body: Any, status: int = 200, ms: float = 5) -> httpx.Response:
    response = httpx.Response(status, json=body)
    response.elapsed = timedelta(milliseconds=ms)
    return response


def check(title: str) -> Any:
    return next(c for c in CHECKS if c.title == title)


def test_answered_aliases_are_vulnerable_and_refused_ones_are_not() -> None:
    answered = ScriptedProbe(answer({"data": {f"alias{i}": "Query" for i in range(101)}}))
    refused = ScriptedProbe(answer({"errors": [{"message": "query aliases 101 exceeds"}]}))

    assert alias_overloading(answered).vulnerable
    assert not alias_overloading(refused).vulnerable
    assert "alias100:__typename" in answered.sent[0]


def test_a_batch_of_ten_answers_is_vulnerable() -> None:
    ran = ScriptedProbe(answer([{"data": {"__typename": "Query"}}] * 10))
    refused = ScriptedProbe(answer({"errors": [{"message": "batching is off"}]}, status=400))

    assert array_batching(ran).vulnerable
    assert not array_batching(refused).vulnerable


def test_directives_that_slow_validation_tenfold_are_vulnerable() -> None:
    slow = ScriptedProbe(answer({"data": {}}, ms=5), answer({"errors": [{"message": "x"}]}, ms=80))
    steady = ScriptedProbe(*(answer({"errors": [{"message": "x"}]}, ms=6) for _ in range(5)))

    assert directive_overloading(slow).vulnerable
    assert not directive_overloading(steady).vulnerable
    assert len(steady.sent) == 5


def test_directive_limit_message_means_protected() -> None:
    limited = ScriptedProbe(
        answer({"data": {}}, ms=1),
        answer({"errors": [{"message": "The directive '@skip' ...; error limit reached."}]}, ms=50),
    )

    verdict = directive_overloading(limited)

    assert not verdict.vulnerable
    assert len(limited.sent) == 2  # the ladder stops at the limit


def test_did_you_mean_is_a_field_suggestion() -> None:
    suggested = answer(
        {"errors": [{"message": "Cannot query field 'directive'. Did you mean 'directives'?"}]}
    )

    assert field_suggestions(ScriptedProbe(suggested)).vulnerable


def test_only_high_and_medium_findings_fail_and_get_queries_are_accepted() -> None:
    yes = Verdict(True, "200")

    assert Result(check("Introspection"), yes).failing
    assert Result(check("Mutation is allowed over GET (possible CSRF)"), yes).failing
    assert not Result(check("GET Method Query Support"), yes).failing
    assert not Result(check("Field Suggestions"), yes).failing
    assert not Result(check("Introspection"), Verdict(False, "200")).failing


def test_table_lists_every_check_worst_first() -> None:
    results = [Result(c, Verdict(c.title == "GET Method Query Support", "200 ok")) for c in CHECKS]

    lines = table(results).splitlines()

    assert len(lines) == 2 + len(CHECKS)
    assert lines[2].startswith("| HIGH |")
    assert "| GET Method Query Support | accepted |" in table(results)
