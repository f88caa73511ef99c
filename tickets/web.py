"""Helpers every web view shares: service errors onto forms, and redirects htmx understands.

Domain errors that are not about a field (InvalidTransition, NotAllowed) become 409/403
pages in config/web_errors.py; these put field errors where the person typed.
"""

from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django_htmx.http import HttpResponseClientRedirect


def add_service_errors(form, error: ValidationError, rename: dict[str, str] | None = None) -> None:
    """Put a service's field errors on the form; unknown fields go to the top of the form."""
    rename = rename or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = rename.get(field, field)
        form.add_error(target if target in form.fields else None, errors)


def go(request, url: str):
    """A redirect for a normal request, or HX-Redirect for htmx (which follows it itself)."""
    return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)
