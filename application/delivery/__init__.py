"""Mail delivery: the outbox relay, the idempotent send, and the dead letters an operator looks at."""
