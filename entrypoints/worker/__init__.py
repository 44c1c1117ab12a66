"""The Dramatiq worker. `install_broker()` sets the broker, THEN imports the actor modules (actors bind to
the broker that is set when their module is imported).

To add actors: write `entrypoints/worker/<name>_actors.py` and append its module to `ACTOR_MODULES`.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

import dramatiq

if TYPE_CHECKING:
    from entrypoints.bootstrap import Services

ACTOR_MODULES: tuple[str, ...] = ("entrypoints.worker.mail_actors", "entrypoints.worker.import_actors")

_services: Services | None = None


def install_broker(broker: dramatiq.Broker) -> None:
    dramatiq.set_broker(broker)
    for name in ACTOR_MODULES:
        imported = name in sys.modules
        module = importlib.import_module(name)
        if imported:  # bound to an earlier broker of this process (tests, a restarted app): declare here too
            for value in vars(module).values():
                if isinstance(value, dramatiq.Actor):
                    broker.declare_actor(value)


def services() -> Services:
    """The services the actors of this process call."""
    if _services is None:
        raise RuntimeError("the worker's services are not set: start the worker through folio")
    return _services


def set_services(value: Services | None) -> None:
    global _services
    _services = value
