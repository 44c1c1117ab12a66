"""In-memory adapters: fast fakes for use-case tests, and single-process stores for the embedded default."""
