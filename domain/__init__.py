"""Folio's domain: entities, value objects, events and errors. Imports only the standard library."""
