"""Catalog: books, genres, tags, search and stock."""
