"""Row-level visibility: which rows of each table a principal may see.

Each domain declares the rule of its tables (`resolvers/<domain>/visibility.py`, `ROW_RULES`);
`app.wiring.install` installs them once per process. A table without a rule shows every row.
Until the rules are installed, asking for one fails: a process that was not wired must not
show every row to everyone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import ColumnElement

from kernel.principal import Principal

RowRule = Callable[[Principal], ColumnElement[bool] | None]
"""The condition a table's rows must meet for a principal; None when every row passes."""

_rules: dict[str, RowRule] | None = None


def install_row_rules(*rules: Mapping[str, RowRule]) -> None:
    """Install the rules of every domain; a table may have one rule only."""
    global _rules
    merged: dict[str, RowRule] = {}
    for domain_rules in rules:
        if clash := merged.keys() & domain_rules.keys():
            raise ValueError(f"two visibility rules for {sorted(clash)}")
        merged.update(domain_rules)
    _rules = merged


def row_filter(table_name: str, principal: Principal) -> ColumnElement[bool] | None:
    """The condition rows of a table must meet for ``principal``; None when all pass."""
    if _rules is None:
        raise RuntimeError("visibility rules are not installed: call app.wiring.install() first")
    rule = _rules.get(table_name)
    return None if rule is None else rule(principal)
