"""Describe the problem-details error format once, for every operation in the schema."""

from typing import Any

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail", "instance", "code"],
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string", "example": "Bad Request"},
        "status": {"type": "integer", "example": 400},
        "detail": {"type": "string"},
        "instance": {"type": "string", "example": "/api/v1/users/me/"},
        "code": {"type": "string", "example": "invalid"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message", "code"],
                "properties": {
                    "field": {"type": "string", "example": "email"},
                    "message": {"type": "string"},
                    "code": {"type": "string", "example": "required"},
                },
            },
        },
    },
}

ERROR_DESCRIPTIONS = {
    "400": "Invalid input",
    "401": "Missing, invalid or expired credentials",
    "403": "Not allowed",
    "404": "Not found",
    "405": "Method not allowed",
    "413": "Request body too large",
    "429": "Too many requests",
    "500": "Unexpected error",
    "503": "Database unreachable; retry after the Retry-After header's seconds",
}


def add_problem_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation may answer with a problem."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    reference = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_DESCRIPTIONS.items():
                responses.setdefault(status, {"description": description, "content": reference})
    return result
