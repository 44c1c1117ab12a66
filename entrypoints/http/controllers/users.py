from __future__ import annotations

from litestar import Controller, delete, get, patch
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.identity.account import DeleteMe, UpdateMe
from application.identity.tokens import Principal
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, requires_user
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas.identity import DeleteMeIn, UpdateMeIn, UserOut, kept


class MeController(Controller):
    path = "/users/me"
    tags = ["users"]
    guards = [requires_user]
    security = BEARER

    @get("/", responses=problem_responses(401))
    async def me(self, principal: NamedDependency[Principal], services: NamedDependency[Services]) -> UserOut:
        """The caller's own account."""
        return UserOut.of(await services.identity.get_user(principal.user_id))

    @patch("/", responses=problem_responses(400, 401, 409, 422))
    async def update_me(
        self, data: JSONBody[UpdateMeIn], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> UserOut:
        """Changes the caller's username and/or full name (a null full name clears it)."""
        cmd = UpdateMe(principal.user_id, kept(data.username), kept(data.full_name))
        return UserOut.of(await services.identity.update_me(cmd))

    @delete("/", status_code=204, responses=problem_responses(400, 401, 409, 422))
    async def delete_me(
        self, data: JSONBody[DeleteMeIn], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> None:
        """Deletes the caller's account and personal data (orders are kept without them); needs the password."""
        await services.identity.delete_me(DeleteMe(principal.user_id, data.password))
