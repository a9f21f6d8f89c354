"""Errors shared by several features; each carries a message fit to show the user."""

from __future__ import annotations


class SessionNotFound(KeyError):
    """No session (of any exercise) with that id."""


class EngineError(Exception):
    """A reply could not be produced. `user_message` is shown in the chat; `partial` is what arrived."""

    def __init__(self, user_message: str, partial: str = "") -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.partial = partial
