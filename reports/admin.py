from django.contrib import admin

from reports.models import Rating, Summary


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    """Ratings are the customers' words: read here, never edited."""

    list_display = ["ticket", "outcome", "outcome_score", "service_score", "team", "rated_at"]
    list_filter = ["outcome_score", "service_score", "tier", "team"]
    search_fields = ["ticket__reference"]
    raw_id_fields = ["ticket", "assignee"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Summary)
class SummaryAdmin(admin.ModelAdmin):
    list_display = ["period", "start", "end", "team", "created_at"]
    list_filter = ["period", "team"]
    exclude = ["data"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
