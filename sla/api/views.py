"""`sla-policies/`: admins manage deadlines through the same service as the Django admin."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.viewsets import ModelViewSet

from accounts import roles
from accounts.access import StaffVerified
from sla import services
from sla.models import BusinessCalendar, SLAPolicy

# The case's categories, reached through the policy's own foreign key: this app sits below
# tickets and does not import it.
_categories = SLAPolicy._meta.get_field("category").related_model.objects


class IsAdminRole(BasePermission):
    message = _("Only admins manage SLA policies.")

    def has_permission(self, request, view):
        user = request.user
        return user.is_authenticated and (user.is_superuser or roles.has_role(user, roles.ADMIN))


class SLAPolicySerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=_categories.all(), allow_null=True, required=False
    )
    calendar = serializers.SlugRelatedField(
        slug_field="name", queryset=BusinessCalendar.objects.all(), allow_null=True, required=False
    )
    due_if_filed_now = serializers.SerializerMethodField()

    class Meta:
        model = SLAPolicy
        fields = [
            "id",
            "name",
            "tier",
            "category",
            "priority",
            "first_response_target",
            "next_response_target",
            "resolution_target",
            "warning_percent",
            "calendar",
            "due_if_filed_now",
        ]
        # The model's constraints are checked by the service with clear messages.
        validators = []

    def get_due_if_filed_now(self, policy) -> dict:
        return {k: v.isoformat() for k, v in services.sla_policy_preview(policy).items()}


class SLAPolicyViewSet(ModelViewSet):
    serializer_class = SLAPolicySerializer
    permission_classes = [StaffVerified, IsAdminRole]
    pagination_class = None
    queryset = SLAPolicy.objects.select_related("category", "calendar").prefetch_related(
        "calendar__hours", "calendar__holidays"
    )

    def perform_create(self, serializer):
        serializer.instance = services.sla_policy_save(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.sla_policy_save(
            policy=serializer.instance, **serializer.validated_data
        )

    def destroy(self, request, *args, **kwargs):
        services.sla_policy_delete(policy=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
