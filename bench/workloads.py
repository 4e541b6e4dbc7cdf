"""The two benchmarked requests, as GraphQL documents and as raw-endpoint bodies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PAGE_QUERY = """
query Page($first: Int!) {
  customers(first: $first, orderBy: {field: NAME}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id name domain industry lifecycleStage
      contacts(first: 5) { nodes { id firstName lastName email phone } }
      deals(first: 3) { nodes { id name amount currency stage { id name probability kind } } }
      tickets(first: 2) { nodes { id subject status priority } }
    }
  }
}
"""

SEARCH_QUERY = """
query Search($first: Int!, $search: String!, $minAmount: Decimal!) {
  customers(
    first: $first
    search: $search
    filter: {
      lifecycleStage: {in: [CUSTOMER, PROSPECT]}
      deals: {some: {amount: {gt: $minAmount}, stage: {kind: {eq: OPEN}}}}
    }
    orderBy: {field: CREATED_AT, direction: DESC}
  ) {
    totalCount
    nodes { id name domain lifecycleStage }
  }
}
"""


@dataclass(frozen=True)
class Workload:
    """One benchmarked request: its GraphQL form and the raw endpoint's path for it."""

    name: str
    description: str
    query: str
    variables: dict[str, Any]
    raw_path: str

    def graphql_body(self) -> dict[str, Any]:
        return {"query": self.query, "variables": self.variables}


PAGE = Workload(
    name="page",
    description="nested page: 50 customers, 5 contacts, 3 deals (+ stage), 2 tickets each",
    query=PAGE_QUERY,
    variables={"first": 50},
    raw_path="/raw/page",
)
SEARCH = Workload(
    name="search",
    description="search 'acme' + lifecycle IN + EXISTS open deal > 10000, newest first, 20",
    query=SEARCH_QUERY,
    variables={"first": 20, "search": "acme", "minAmount": "10000"},
    raw_path="/raw/search",
)
WORKLOADS = (PAGE, SEARCH)
