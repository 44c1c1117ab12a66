"""Whether the user an access token names exists, so a token for no one is refused like a bad one."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta
from uuid import UUID

from application.ports.clock import Clock
from application.ports.uow import UowFactory

#: How long a process trusts that a user it found still exists. Deleting an account revokes its tokens
#: in the shared token store, which every request checks; this only spares the database the lookup.
KNOWN_FOR = timedelta(seconds=60)
KNOWN_MAX = 10_000


class KnownSubjects:
    """Users found lately (bounded, oldest forgotten first); anyone else is looked up in the database."""

    def __init__(self, *, uow: UowFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock
        self._until: OrderedDict[UUID, datetime] = OrderedDict()

    async def exists(self, user_id: UUID) -> bool:
        now = self._clock.now()
        until = self._until.get(user_id)
        if until is not None and until > now:
            return True
        async with self._uow(read_only=True) as uow:
            found = await uow.users.get(user_id) is not None
        if found:
            self._until[user_id] = now + KNOWN_FOR
            self._until.move_to_end(user_id)
            while len(self._until) > KNOWN_MAX:
                self._until.popitem(last=False)
        else:
            self._until.pop(user_id, None)
        return found
