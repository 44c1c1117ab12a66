"""The Dramatiq worker. Actors are declared on a broker by `install_broker()`, with the registry whose
services they call; whoever starts the worker fills the registry (and empties it when it stops).

To add actors: write `entrypoints/worker/<name>_actors.py` with a `declare(broker, registry)` and call
it from `install_broker`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dramatiq

from adapters.dramatiq.broker import DELIVER_MAIL
from adapters.dramatiq.imports import RUN_IMPORT, RUN_LIBRARY_IMPORT
from entrypoints.worker import import_actors, mail_actors

#: Every actor `install_broker` declares.
ACTOR_NAMES = (DELIVER_MAIL, RUN_IMPORT, RUN_LIBRARY_IMPORT)

if TYPE_CHECKING:
    from entrypoints.bootstrap import Services


class ServicesRegistry:
    """The services the actors of one broker call: set when its worker starts, cleared when it stops."""

    def __init__(self) -> None:
        self._services: Services | None = None

    def set(self, services: Services | None) -> None:
        self._services = services

    def get(self) -> Services:
        if self._services is None:
            raise RuntimeError("the worker's services are not set: start the worker through folio")
        return self._services


def install_broker(broker: dramatiq.Broker, registry: ServicesRegistry) -> None:
    """Makes `broker` the current one and declares the actors on it, calling `registry`'s services. An app
    started again on the same broker (a second lifespan of one app) declares them anew, for its registry."""
    dramatiq.set_broker(broker)
    for name in ACTOR_NAMES:
        broker.actors.pop(name, None)
    mail_actors.declare(broker, registry)
    import_actors.declare(broker, registry)
