"""GraphQL side of campaigns: members, costs, segments, performance and automation."""
