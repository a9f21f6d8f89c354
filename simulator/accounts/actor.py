"""Who is asking: the signed-in account every access check is made against."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

UserRole = Literal["trainee", "supervisor", "researcher", "admin"]


class Actor(BaseModel):
    """Who is asking. Every read and write of someone's work in simulator/ is checked against it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str
    username: str
    role: UserRole
