"""One place where domain errors become JSON HTTP errors for the API."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from sla.services import PolicyProtected
from tickets.exceptions import DuplicateTicket, InvalidTransition, NotAllowed

# Upload refusals carry their own HTTP status (DESIGN.md: 413/415 for bad uploads).
_UPLOAD_STATUS = {"too_large": 413, "unsupported_type": 415}


def _validation_response(error: DjangoValidationError) -> Response:
    if hasattr(error, "error_dict"):
        body = {
            field: [str(m) for e in errs for m in e.messages]
            for field, errs in error.error_dict.items()
        }
        codes = {e.code for errs in error.error_dict.values() for e in errs}
    else:
        body = {"detail": error.messages}
        codes = {e.code for e in error.error_list}
    code = next(
        (_UPLOAD_STATUS[c] for c in codes if c in _UPLOAD_STATUS), status.HTTP_400_BAD_REQUEST
    )
    return Response(body, status=code)


def exception_handler(exc, context):
    if isinstance(exc, InvalidTransition | PolicyProtected):
        return Response({"detail": exc.reason, "code": "invalid_transition"}, status=409)
    if isinstance(exc, NotAllowed):
        return Response({"detail": exc.reason, "code": "not_allowed"}, status=403)
    if isinstance(exc, DuplicateTicket):
        return Response(
            {
                "detail": "You already have an open case about this transaction or order.",
                "code": "duplicate",
                "existing": [t.reference for t in exc.existing],
            },
            status=409,
        )
    if isinstance(exc, DjangoValidationError):
        return _validation_response(exc)
    # Django's own 404 and 403 get the API's shape (DRF would keep their bare message,
    # which names the model looked up).
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        if not isinstance(exc, exceptions.ValidationError):
            # Every other refusal has one shape: what happened, and a code to branch on.
            codes = exc.get_codes()
            response.data = {
                "detail": str(exc.detail),
                "code": codes if isinstance(codes, str) else "error",
            }
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            response.data["retry_after"] = exc.wait
    return response


def not_found(request, exception):
    """Django's 404 for a path no view matched: JSON under /api/, like the API's own."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Server error.", "code": "server_error"}, status=500)
    return defaults.server_error(request)
