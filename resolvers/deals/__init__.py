"""The deals domain: deals, pipelines, the product catalogue, exchange rates and sales reports."""
