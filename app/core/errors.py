"""Domain errors that views and the API turn into 4xx answers with a message."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal the user can understand. `field` ties it to a form field."""

    status = 400

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409
