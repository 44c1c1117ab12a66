"""Dramatiq adapters: the broker (Valkey, or in-process), its middleware, and the outbox publisher."""
