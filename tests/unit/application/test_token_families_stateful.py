"""Any sequence of login, refresh, reuse, logout and logout-all keeps exactly the right tokens alive."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from application.identity.login import Login
from application.identity.register import Register
from application.identity.sessions import InvalidRefreshToken, Logout, LogoutAll, Refresh
from application.identity.tokens import Tokens
from domain.identity import TokenReused
from entrypoints.bootstrap import Services
from tests.support.clock import FakeClock
from tests.support.http import PASSWORD
from tests.support.settings import make_settings
from tests.support.wiring import fake_services


@dataclass
class Issued:
    """One pair the model knows about, and what it expects of it."""

    tokens: Tokens
    family: int
    spent: bool = False


class TokenFamilies(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()
        self.dir = tempfile.TemporaryDirectory()
        # Limits high enough that the sequence never trips them: they are tested elsewhere.
        config = make_settings(Path(self.dir.name), rate_limit_login_per_email=10_000)
        self.services: Services = fake_services(config, clock=self.clock)
        self.issued: list[Issued] = []
        self.revoked: set[int] = set()
        self.families = 0

    def run(self, coro: Any) -> Any:
        self.clock.advance(milliseconds=1)
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.loop.run_until_complete(self.services.aclose())
        self.loop.close()
        self.dir.cleanup()

    @initialize()
    def account(self) -> None:
        self.run(self.services.identity.register(Register("ada@example.com", "ada", PASSWORD)))

    @rule()
    def login(self) -> None:
        tokens = self.run(self.services.identity.login(Login("ada@example.com", PASSWORD)))
        self.issued.append(Issued(tokens, self.families))
        self.families += 1

    @precondition(lambda self: self.issued)
    @rule(data=st.data())
    def refresh(self, data: st.DataObject) -> None:
        pick = data.draw(st.sampled_from(self.issued))
        try:
            tokens = self.run(self.services.identity.refresh(Refresh(pick.tokens.refresh_token)))
        except TokenReused:
            assert pick.spent, "a live token was taken for a spent one"
            self.revoked.add(pick.family)
            return
        except InvalidRefreshToken:
            assert not pick.spent, "a live token of a live session was refused"
            assert pick.family in self.revoked, "a live token of a live session was refused"
            return
        assert not pick.spent, "a spent refresh token worked twice"
        assert pick.family not in self.revoked, "a revoked session was refreshed"
        pick.spent = True
        self.issued.append(Issued(tokens, pick.family))

    @precondition(lambda self: any(i.family not in self.revoked for i in self.issued))
    @rule(data=st.data())
    def logout(self, data: st.DataObject) -> None:
        pick = data.draw(st.sampled_from([i for i in self.issued if i.family not in self.revoked]))
        principal = self.run(self.services.identity.authenticate(pick.tokens.access_token))
        assert principal is not None
        self.run(self.services.identity.logout(Logout(principal)))
        self.revoked.add(pick.family)

    @precondition(lambda self: any(i.family not in self.revoked for i in self.issued))
    @rule()
    def logout_all(self) -> None:
        live = next(i for i in self.issued if i.family not in self.revoked)
        principal = self.run(self.services.identity.authenticate(live.tokens.access_token))
        assert principal is not None
        self.run(self.services.identity.logout_all(LogoutAll(principal)))
        self.revoked.update(i.family for i in self.issued)

    @invariant()
    def access_tokens_live_exactly_with_their_session(self) -> None:
        for issued in self.issued:
            principal = self.loop.run_until_complete(self.services.identity.authenticate(issued.tokens.access_token))
            assert (principal is not None) == (issued.family not in self.revoked), issued


TokenFamilies.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
test_token_families = TokenFamilies.TestCase
