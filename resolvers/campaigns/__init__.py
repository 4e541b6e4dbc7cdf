"""The campaigns domain: members, costs, segments, performance and automation."""
