"""Refuse an oversized request before Django spools its body to disk."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render


class RequestSizeLimitMiddleware:
    """Like a proxy's client_max_body_size: the most evidence one request may carry, plus form fields.

    The evidence checks read at most EVIDENCE_MAX_BYTES of each file, but Django's multipart
    parser would otherwise write a gigabyte upload to a temporary file first.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = (
            settings.EVIDENCE_MAX_BYTES * settings.EVIDENCE_MAX_FILES_PER_TICKET
            + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.limit:
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": "The request is too large.", "code": "too_large"}, status=413
                )
            return render(request, "request_too_large.html", status=413)
        return self.get_response(request)
