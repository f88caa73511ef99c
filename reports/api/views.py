"""The reports API (`reports/{name}/`, JSON or CSV) and the `rate` action on the case's path.

`rate` is registered beside tickets.api's TicketViewSet under the same prefix
(config/api_urls.py), as escalation.api's actions are.
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import renderers, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import is_staff_member
from reports import catalogue, exports, services
from reports import register as records
from reports.forms import ReportFilterForm
from reports.models import Rating
from reports.results import Column
from reports.selectors import open_rating, report_scope
from tickets.api.views import CaseViewSet
from tickets.exceptions import InvalidTransition, NotAllowed


class CSVRenderer(renderers.BaseRenderer):
    """`?format=csv`: a report's table streams as CSV (exports.py); this renders errors."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, dict):
            return b""
        rows = [{"field": k, "message": str(v)} for k, v in data.items()]
        columns = [Column("field", "field"), Column("message", "message")]
        return "".join(exports.lines(columns, rows)).encode()


FILTER_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description=_("First day (default: 29 days ago)")),
    OpenApiParameter("to", OpenApiTypes.DATE, description=_("Last day, included (default: today)")),
    *(
        OpenApiParameter(name, str, many=True, description=_("Codes; repeat for several"))
        for name in ("category", "team", "tier", "channel", "priority")
    ),
    OpenApiParameter("format", str, enum=["json", "csv"]),
    OpenApiParameter(
        "table", str, description=_("CSV: which table (its key); the first by default")
    ),
]


class ReportView(APIView):
    """A report for team leads (their teams) and admins (everything)."""

    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request, name):
        scope = report_scope(request.user)
        if scope is None:
            raise NotAllowed(_("Reports are for team leads and admins."))
        if name not in catalogue.REPORTS:
            raise NotFound(_("There is no report of this name."))
        filters = ReportFilterForm(request.query_params, scope=scope).filters()
        result = catalogue.build(name, filters, scope)
        if request.accepted_renderer.format == "csv":
            filename = f"{name}-{filters.start}-{filters.end}.csv"
            if name == "register":
                rows = records.every_row(filters, scope)
                return exports.response(filename, records.columns(), rows)
            wanted = request.query_params.get("table", "")
            table = next((t for t in result.tables if t.key == wanted), None) or result.tables[0]
            return exports.response(filename, table.columns, table.rows)
        return Response(
            {
                "from": filters.start,
                "to": filters.end,
                "filters": {
                    name: list(getattr(filters, name))
                    for name in ("category", "team", "tier", "channel", "priority")
                },
                **result.as_dict(),
            }
        )


class RateInput(serializers.Serializer):
    outcome = serializers.IntegerField(min_value=1, max_value=5)
    service = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class RatingOutput(serializers.ModelSerializer):
    outcome = serializers.IntegerField(source="outcome_score")
    service = serializers.IntegerField(source="service_score")
    rated_outcome = serializers.CharField(source="outcome")

    class Meta:
        model = Rating
        fields = ["outcome", "service", "comment", "rated_outcome", "rated_at", "valid_until"]


class CaseRatingViewSet(CaseViewSet):
    @extend_schema(request=RateInput, responses={200: RatingOutput})
    @action(detail=True, methods=["post"])
    def rate(self, request, reference=None):
        """The customer rates the outcome and the service (1–5); again to change it."""
        ticket = self.get_object()
        if is_staff_member(request.user):
            raise NotAllowed(_("Staff cannot rate a case; only its customer can."))
        rating = open_rating(ticket)
        if rating is None:
            raise InvalidTransition(
                _("There is nothing to rate: a case can be rated once it is resolved.")
            )
        data = RateInput(data=request.data)
        data.is_valid(raise_exception=True)
        rating = services.rating_submit(
            rating=rating,
            customer=request.user,
            outcome_score=data.validated_data["outcome"],
            service_score=data.validated_data["service"],
            comment=data.validated_data["comment"],
        )
        return Response(RatingOutput(rating).data)
