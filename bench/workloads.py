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


# The peer (bench.peer): the same requests for PostGraphile 4 over the same PostgreSQL database.
# Its schema (with @graphile-contrib/pg-simplify-inflector) names the same relations `customers`,
# `contacts`, `deals`, `stage`, `tickets`; ids are the rows' UUIDs, enums the stored lowercase
# strings, contacts' `phone` the stored ciphertext. The explicit `ID_ASC` and `deletedAt: null`
# make its rows and order those of the API: (column, id), visible (not soft-deleted) rows only.
FLAT_QUERY = """
query Flat($first: Int!) {
  customers(first: $first, orderBy: {field: NAME}) {
    nodes { id name domain industry lifecycleStage }
  }
}
"""

CREATE_QUERY = """
mutation Create($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    customer { id name domain industry lifecycleStage }
  }
}
"""

PEER_PAGE_QUERY = """
query Page($first: Int!) {
  customers(first: $first, orderBy: [NAME_ASC, ID_ASC], condition: {deletedAt: null}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id name domain industry lifecycleStage
      contacts(first: 5, orderBy: [LAST_NAME_ASC, ID_ASC], condition: {deletedAt: null}) {
        nodes { id firstName lastName email phone }
      }
      deals(first: 3, orderBy: [CREATED_AT_ASC, ID_ASC], condition: {deletedAt: null}) {
        nodes { id name amount currency stage { id name probability kind } }
      }
      tickets(first: 2, orderBy: [CREATED_AT_ASC, ID_ASC], condition: {deletedAt: null}) {
        nodes { id subject status priority }
      }
    }
  }
}
"""

PEER_FLAT_QUERY = """
query Flat($first: Int!) {
  customers(first: $first, orderBy: [NAME_ASC, ID_ASC], condition: {deletedAt: null}) {
    nodes { id name domain industry lifecycleStage }
  }
}
"""

PEER_CREATE_QUERY = """
mutation Create($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    customer { id name domain industry lifecycleStage }
  }
}
"""

# Sorts after every seeded name ("Acme ..." to "Wayne ..."), so created rows never enter a page.
CREATED_NAME = "Zz Bench Peer Customer"
CREATED = {"name": CREATED_NAME, "domain": "bench-peer.example.com", "industry": "Software"}


@dataclass(frozen=True)
class PeerWorkload:
    """One request in three forms: the API's, PostGraphile's and (if any) the raw endpoint's."""

    name: str
    description: str
    api: Workload
    postgraphile_query: str
    postgraphile_variables: dict[str, Any]
    has_raw: bool = False

    def postgraphile_body(self) -> dict[str, Any]:
        return {"query": self.postgraphile_query, "variables": self.postgraphile_variables}


PAGE_100 = Workload(
    name="page100",
    description="nested page of 100: the page's document with first: 100",
    query=PAGE_QUERY,
    variables={"first": 100},
    raw_path="/raw/page",
)
FLAT = Workload(
    name="flat100",
    description="flat page: 100 customers, 5 fields each",
    query=FLAT_QUERY,
    variables={"first": 100},
    raw_path="",
)
CREATE = Workload(
    name="create",
    description="createCustomer: name, domain, industry, lifecycle stage; returns 5 fields",
    query=CREATE_QUERY,
    variables={"input": {**CREATED, "lifecycleStage": "LEAD"}},
    raw_path="",
)
PEER_WORKLOADS = (
    PeerWorkload("page", PAGE.description, PAGE, PEER_PAGE_QUERY, {"first": 50}, has_raw=True),
    PeerWorkload("flat100", FLAT.description, FLAT, PEER_FLAT_QUERY, {"first": 100}),
    PeerWorkload(
        "page100", PAGE_100.description, PAGE_100, PEER_PAGE_QUERY, {"first": 100}, has_raw=True
    ),
    PeerWorkload(
        "create",
        CREATE.description,
        CREATE,
        PEER_CREATE_QUERY,
        {"input": {"customer": {**CREATED, "lifecycleStage": "lead"}}},
    ),
)
