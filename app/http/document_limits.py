"""Limits checked on a parsed document before it is validated.

Validation costs CPU in proportion to the document (and the overlapping-fields rule in the
square of repeated fields): a refused document must cost little, so its size is bounded first,
by a walk that needs neither the schema nor an operation.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

# Fields of one response name in one selection set: graphql-core compares each pair of them.
MAX_REPEATS = 20


@dataclass(frozen=True)
class DocumentSize:
    """Field selections and fragment spreads in a document, and its worst repeated name."""

    selections: int
    repeats: int

    def violation(self, max_selections: int) -> str | None:
        """Why the document may not even be validated, or None."""
        if self.selections > max_selections:
            return f"document has {self.selections} selections, over the limit of {max_selections}"
        if self.repeats > MAX_REPEATS:
            return (
                f"a field is selected {self.repeats} times in one selection set, "
                f"over the limit of {MAX_REPEATS}"
            )
        return None


def document_size(document: DocumentNode) -> DocumentSize:
    """Count every field and fragment spread once, as written (fragments are not expanded)."""
    selections = repeats = 0
    pending: list[SelectionSetNode] = [
        definition.selection_set
        for definition in document.definitions
        if isinstance(definition, ExecutableDefinitionNode)
    ]
    while pending:
        selection_set = pending.pop()
        names: Counter[str] = Counter()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                selections += 1
                names[(selection.alias or selection.name).value] += 1
                if selection.selection_set is not None:
                    pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                selections += 1
                names["..." + selection.name.value] += 1
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
        if names:
            repeats = max(repeats, max(names.values()))
    return DocumentSize(selections, repeats)
