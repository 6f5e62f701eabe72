"""Who is calling, and the permission checks every service applies to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from parley.errors import (
    AccountInsufficientPermissions,
    AccountNotFound,
    ExternalUserForbidden,
    UserAccessForbidden,
)

Role = Literal["operator", "admin", "editor", "viewer", "external"]
ACCOUNT_ROLES: tuple[str, ...] = ("admin", "editor", "viewer", "external")
_RANK = {"viewer": 1, "editor": 2, "admin": 3, "operator": 4}


def role_rank(role: str) -> int:
    return _RANK.get(role, 0)


@dataclass(frozen=True)
class Principal:
    key_id: str
    account_id: str | None
    user_id: str | None
    role: Role
    agent_ids: frozenset[str] | None

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"

    def require_account(self, account_id: str) -> None:
        """Another tenant's account looks exactly like one that does not exist."""
        if not self.is_operator and self.account_id != account_id:
            raise AccountNotFound(f"Account '{account_id}' does not exist.")

    def require_account_admin(self) -> None:
        if self.role == "external":
            raise ExternalUserForbidden()
        if role_rank(self.role) < role_rank("admin"):
            raise AccountInsufficientPermissions(
                f"This operation needs the admin role; this key has '{self.role}'."
            )

    def require_operator(self) -> None:
        if not self.is_operator:
            raise AccountInsufficientPermissions("Only the platform operator key may do this.")

    def require_role(self, minimum: Literal["viewer", "editor", "admin"]) -> None:
        if self.role == "external":
            raise ExternalUserForbidden()
        if role_rank(self.role) < role_rank(minimum):
            raise UserAccessForbidden(f"This operation needs the {minimum} role; this key has '{self.role}'.")

    def can_see_agent(self, agent_id: str) -> bool:
        return self.agent_ids is None or agent_id in self.agent_ids

    def require_agent(self, agent_id: str) -> None:
        if not self.can_see_agent(agent_id):
            raise UserAccessForbidden(f"This API key is not allowed to access agent '{agent_id}'.")
