"""Domain errors raised by services become HTTP responses for web pages, in one place."""

from django.shortcuts import render

from tickets.exceptions import InvalidTransition, NotAllowed


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.path.startswith("/api/"):
            return None  # the API has its own handler (config/api_errors.py)
        if isinstance(exception, InvalidTransition):
            status = 409
        elif isinstance(exception, NotAllowed):
            status = 403
        else:
            return None
        template = (
            "partials/_action_error.html"
            if getattr(request, "htmx", False)
            else "action_error.html"
        )
        return render(request, template, {"reason": exception.reason}, status=status)
