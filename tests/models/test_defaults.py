"""Defaults of table rows."""

from models import Customer
from models.campaigns import Segment


def test_json_list_defaults_are_fresh_per_row() -> None:
    first, second = Customer(name="First"), Customer(name="Second")

    first.tags.append("vip")

    assert second.tags == []


def test_json_object_defaults_are_fresh_per_row() -> None:
    first = Segment(name="First", entity_type="contact")
    second = Segment(name="Second", entity_type="contact")

    first.filter["lifecycleStage"] = {"eq": "LEAD"}

    assert second.filter == {}
