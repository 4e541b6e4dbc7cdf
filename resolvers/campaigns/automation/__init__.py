"""Marketing automation: rules (trigger, conditions, actions) run from the outbox stream."""
