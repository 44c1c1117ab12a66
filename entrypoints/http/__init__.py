"""The Litestar HTTP app: thin controllers over the use cases."""
