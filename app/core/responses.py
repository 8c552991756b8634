"""The error answer of every refusal: the French error page, or under /api/ the API's JSON error.

Kept apart from `app.core.views` (the routes and error handlers) so that what refuses early
(`app.core.inputs`, the view kit `app.core.web`) can answer without importing the routes.
"""

from __future__ import annotations

from flask import jsonify, render_template, request


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, title: str, message: str):
    """The error page (HTML) or, under /api/, the API's JSON error."""
    if _wants_json():
        codes = {
            400: "bad_request",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            409: "conflict",
            413: "too_large",
            422: "validation_error",
            429: "rate_limited",
            500: "server_error",
        }
        response = jsonify({"error": {"code": codes.get(status, "error"), "message": message}})
        return response, status
    return render_template("core/error.html", status=status, title=title, message=message), status
