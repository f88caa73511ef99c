"""The API's sign-in: tokens for an email and password (and a code for staff), listed and
revoked by their owner."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tokens, two_factor
from accounts.access import StaffVerified
from accounts.models import ApiToken
from accounts.roles import is_staff_member
from accounts.throttles import TokenAccountThrottle, TokenAddressThrottle


class TokenInput(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False)
    otp = serializers.CharField(
        required=False,
        help_text=gettext_lazy(
            "Staff only: the current 6-digit code from the authenticator app, or a backup code."
        ),
    )
    name = serializers.CharField(
        required=False,
        max_length=100,
        help_text=gettext_lazy("A name to tell this token apart in your list (say, the device)."),
    )


class TokenOutput(serializers.Serializer):
    token = serializers.CharField(help_text=gettext_lazy("Shown this once: keep it safe."))
    id = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class TokenListOutput(serializers.ModelSerializer):
    current = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at", "current"]

    def get_current(self, token) -> bool:
        return token.pk == getattr(self.context["request"].auth, "pk", None)


class TokenView(APIView):
    """Exchange an email and password (and, for staff, the current TOTP code) for a token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenAccountThrottle, TokenAddressThrottle]

    def get_authenticate_header(self, request):
        return "Token"  # so a refusal is a 401 that says how to authenticate

    def check_throttles(self, request):
        # Every limit is counted; the answer names the one reached (the account's or the
        # address's) and waits until it lets a request through again.
        reached = [t for t in self.get_throttles() if not t.allow_request(request, self)]
        if reached:
            waits = [wait for wait in (t.wait() for t in reached) if wait is not None]
            raise Throttled(wait=max(waits, default=None), detail=str(reached[0].message))

    @extend_schema(request=TokenInput, responses={200: TokenOutput})
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].strip().lower()
        password = data.validated_data["password"]
        # django-axes watches the Django request: its middleware answers a lockout with 429.
        django_request = request._request
        user = authenticate(django_request, email=email, password=password)
        if user is None or not user.is_active:
            # One message for every failure: never say which part was wrong.
            raise AuthenticationFailed(_("Email or password is not right."))
        if is_staff_member(user):
            try:
                two_factor.code_verify(
                    request=django_request, user=user, code=data.validated_data.get("otp", "")
                )
            except two_factor.SecondFactorRefused as refusal:
                if refusal.retry_after is not None:
                    raise Throttled(wait=refusal.retry_after, detail=refusal.message) from None
                if refusal.code == "otp_required":
                    raise AuthenticationFailed(
                        _(
                            "This is a staff account: send `otp`, the current 6-digit code "
                            "from your authenticator app, with the email and password."
                        ),
                        code=refusal.code,
                    ) from None
                raise AuthenticationFailed(refusal.message, code=refusal.code) from None
        token, key = tokens.token_issue(
            user=user, name=data.validated_data.get("name", ""), request=django_request
        )
        return Response({"token": key, "id": token.pk, "expires_at": token.expires_at})


class TokenListView(APIView):
    """Your active tokens; the one this request uses is marked `current`."""

    permission_classes = [IsAuthenticated, StaffVerified]

    @extend_schema(responses=TokenListOutput(many=True))
    def get(self, request):
        active = tokens.tokens_active(request.user)
        return Response(TokenListOutput(active, many=True, context={"request": request}).data)


class TokenDetailView(APIView):
    permission_classes = [IsAuthenticated, StaffVerified]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, token_id: int):
        """Revoke one of your tokens (the one in use, too: that signs this client out)."""
        token = get_object_or_404(tokens.tokens_active(request.user), pk=token_id)
        tokens.token_revoke(token=token, actor=request.user, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
