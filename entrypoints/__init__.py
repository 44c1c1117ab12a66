"""Driving adapters: the HTTP app, the worker, the command line, and `bootstrap`, the composition root."""
