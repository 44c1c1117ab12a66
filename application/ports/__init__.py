"""Ports: the roles the use cases need filled, each a `Protocol`."""
