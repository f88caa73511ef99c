"""Helpers every web view shares: service errors onto forms, and redirects htmx understands.

Domain errors that are not about a field (InvalidTransition, NotAllowed) become 409/403
pages in config/web_errors.py; these put field errors where the person typed.
"""

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
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


def fragment(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    """A form's part of the page, answered to its htmx POST, and the page's messages with it.

    The messages area is swapped too (out of band): a refused form must not stay under
    the "sent" message of the request before it. Messages belong to their request.
    """
    response = render(request, template, context, status=status)
    response.write(render_to_string("partials/_messages.html", {"oob": True}, request))
    return response


def filing_page(request, template: str, form, duplicates) -> HttpResponse:
    """A filing page (customer or staff), or only its form body for htmx.

    A refused POST answers 400 with everything typed kept: only the body is swapped, so
    chosen files stay chosen.
    """
    context = {"form": form, "duplicates": duplicates, "category": form.category_obj}
    if request.htmx:
        return fragment(request, f"{template}#filing-body", context)
    return render(request, template, context, status=400 if request.method == "POST" else 200)


def category_fields(request, form_class) -> HttpResponse:
    """The chosen category's evidence fields, keeping whatever was typed already (htmx)."""
    form = form_class(request.GET or None)
    return render(
        request,
        "partials/_case_fields.html#evidence-fields",
        {"form": form, "category": form.category_obj},
    )


def private_download(file, *, filename: str, content_type: str) -> FileResponse:
    """A file only its reader may have: an attachment, never sniffed, rendered or cached."""
    response = FileResponse(file, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def evidence_download(attachment) -> FileResponse:
    return private_download(
        attachment.file.open("rb"),
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
