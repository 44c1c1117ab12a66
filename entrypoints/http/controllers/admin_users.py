from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from application.identity.admin import CreateUser, DeleteUser, ListUsers, UpdateUser
from domain.identity import Role
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, requires_admin
from entrypoints.http.pagination import Limit, Offset, Page
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas.identity import AdminCreateUserIn, AdminUpdateUserIn, UserOut, kept

Query = Annotated[str | None, Parameter(max_length=254, description="Matches email or username, literally")]


class AdminUsersController(Controller):
    """User management; ADMIN only."""

    path = "/admin/users"
    tags = ["admin"]
    guards = [requires_admin]
    security = BEARER

    @get("/", responses=problem_responses(401, 403, 422))
    async def list_users(
        self,
        services: NamedDependency[Services],
        q: Query = None,
        role: FromQuery[Role | None] = None,
        is_active: FromQuery[bool | None] = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> Page[UserOut]:
        """Users, newest first, filtered by text, role and activity."""
        users, total = await services.identity.list_users(ListUsers(q, role, is_active, limit, offset))
        return Page([UserOut.of(u) for u in users], total, limit, offset)

    @post("/", status_code=201, responses=problem_responses(400, 401, 403, 409, 422))
    async def create_user(self, data: JSONBody[AdminCreateUserIn], services: NamedDependency[Services]) -> UserOut:
        """Creates an account with any role, already verified."""
        cmd = CreateUser(data.email, data.username, data.password, data.role, data.full_name)
        return UserOut.of(await services.identity.create_user(cmd))

    @get("/{user_id:uuid}", responses=problem_responses(401, 403, 404))
    async def get_user(self, user_id: FromPath[UUID], services: NamedDependency[Services]) -> UserOut:
        """Any user's account."""
        return UserOut.of(await services.identity.get_user(user_id))

    @patch("/{user_id:uuid}", responses=problem_responses(400, 401, 403, 404, 409, 422))
    async def update_user(
        self, user_id: FromPath[UUID], data: JSONBody[AdminUpdateUserIn], services: NamedDependency[Services]
    ) -> UserOut:
        """Changes role, activity or profile; a role change or deactivation revokes the user's tokens."""
        cmd = UpdateUser(user_id, data.role, data.is_active, kept(data.username), kept(data.full_name))
        return UserOut.of(await services.identity.update_user(cmd))

    @post("/{user_id:uuid}/deactivate", status_code=200, responses=problem_responses(401, 403, 404, 409))
    async def deactivate(self, user_id: FromPath[UUID], services: NamedDependency[Services]) -> UserOut:
        """Deactivates the account and revokes all its tokens at once."""
        return UserOut.of(await services.identity.update_user(UpdateUser(user_id, is_active=False)))

    @post("/{user_id:uuid}/reactivate", status_code=200, responses=problem_responses(401, 403, 404))
    async def reactivate(self, user_id: FromPath[UUID], services: NamedDependency[Services]) -> UserOut:
        """Lets a deactivated account sign in again."""
        return UserOut.of(await services.identity.update_user(UpdateUser(user_id, is_active=True)))

    @delete("/{user_id:uuid}", status_code=204, responses=problem_responses(401, 403, 404, 409))
    async def delete_user(self, user_id: FromPath[UUID], services: NamedDependency[Services]) -> None:
        """Deletes the account and its personal data; orders are kept without them."""
        await services.identity.delete_user(DeleteUser(user_id))
