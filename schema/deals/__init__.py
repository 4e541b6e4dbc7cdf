"""GraphQL side of deals: pipelines and stages, the product catalogue, rates and sales reports."""
