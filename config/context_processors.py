from django.conf import settings


def site(request):
    """What every page needs to show the anti-phishing notice."""
    return {"OFFICIAL_DOMAIN": settings.OFFICIAL_DOMAIN}
