"""Valkey adapters (valkey.asyncio): shared state for every API process and worker."""
