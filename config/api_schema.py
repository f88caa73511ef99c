"""The OpenAPI schema says what the API really answers, errors included.

Every refusal has a documented body: `Error` ({detail, code}) for most, `ValidationError`
(messages by field) for bad input, `Conflict` for an illegal transition or a duplicate,
`Throttled` (with Retry-After) for rate limits and lockouts. Which operations may answer
which, follows from the operation: a body can be refused (400, 413, 415), a path that
names something may not exist for you (404), the case, chat and policy writes may conflict
(409), everything but the token endpoint needs a signed-in user (401, 403), and every
request is rate limited (429). Mapped in one place, beside config/api_errors.py.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

_STRING = {"type": "string"}
_ERROR = {
    "type": "object",
    "properties": {
        "detail": {**_STRING, "description": "What was refused and why, for a person."},
        "code": {**_STRING, "description": "A stable code to branch on, such as `not_found`."},
    },
    "required": ["detail", "code"],
}
_COMPONENTS = {
    "Error": _ERROR,
    "ValidationError": {
        "type": "object",
        "description": (
            "Messages by field name (`detail` or `non_field_errors` for the request as a "
            "whole); a field of an object holds its own fields' messages."
        ),
        "additionalProperties": {
            "anyOf": [{"type": "array", "items": _STRING}, {"type": "object"}, _STRING]
        },
    },
    "Conflict": {
        **_ERROR,
        "properties": {
            **_ERROR["properties"],
            "existing": {
                "type": "array",
                "items": _STRING,
                "description": "With code `duplicate`: the open cases about the same thing.",
            },
        },
    },
    "Throttled": {
        **_ERROR,
        "properties": {
            **_ERROR["properties"],
            "retry_after": {"type": "integer", "description": "Seconds until a retry may pass."},
            "unlock_url": {
                "type": "string",
                "format": "uri",
                "description": "With code `locked_out`: where an account's owner gets a way in.",
            },
        },
    },
}
_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
# The writes that may meet a case or policy in a state that forbids them.
_CONFLICT_PREFIXES = ("/api/v1/tickets", "/api/v1/sla-policies", "/api/v1/chats")


class RedressAutoSchema(AutoSchema):
    def _component(self, name: str) -> ResolvedComponent:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, schema=_COMPONENTS[name], object=name
        )
        self.registry.register_on_missing(component)
        return component

    def _error(self, name: str, description, headers=None) -> dict:
        refs = [self._component(n).ref for n in name.split("|")]
        schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
        response = {
            "description": str(description),
            "content": {"application/json": {"schema": schema}},
        }
        if headers:
            response["headers"] = headers
        return response

    def _errors(self) -> dict[str, dict]:
        has_body = self.method in ("POST", "PUT", "PATCH")
        public = any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        # A list with filters refuses bad filter values (400) and an unknown cursor (404).
        filtered_list = self._is_list_view() and bool(
            getattr(self.view, "filterset_class", None) or self._get_paginator()
        )
        # Query parameters declared for the operation (a serializer of them) are checked too.
        checked_query = bool(self.get_override_parameters())
        errors = {}
        if has_body or filtered_list or checked_query:
            errors["400"] = self._error("ValidationError", _("The input is not valid."))
        errors["401"] = self._error(
            "Error",
            _("Wrong credentials.") if public else _("No valid token or session."),
        )
        errors["403"] = self._error(
            "Error", _("Not allowed, or staff without their second factor.")
        )
        if "{" in self.path or filtered_list:
            errors["404"] = self._error(
                "Error", _("Not found, or not yours to see (an invalid cursor, too).")
            )
        if self.path.startswith(_CONFLICT_PREFIXES) and self.method != "GET":
            errors["409"] = self._error(
                "Conflict", _("Not possible in the current state, or a duplicate.")
            )
        if has_body:
            errors["413"] = self._error("Error|ValidationError", _("Too large."))
            errors["415"] = self._error(
                "Error|ValidationError", _("A media type (or file type) not accepted.")
            )
        errors["429"] = self._error(
            "Throttled", _("Too many requests, or sign-in paused."), _RETRY_AFTER
        )
        return errors

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        # A field that describes itself (tickets.api.serializers.EvidenceFieldsInput).
        if hasattr(field, "openapi_schema"):
            return field.openapi_schema()
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            for status, response in self._errors().items():
                responses.setdefault(status, response)
        return responses
