from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.forms import ProfileForm, SignUpForm
from accounts.models import CustomerProfile
from accounts.services import customer_register, profile_update


@sensitive_post_parameters("password")
@never_cache
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("tickets:my_tickets")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = customer_register(**form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome. Your account is ready."))
            return redirect(request.GET.get("next") or "tickets:file")
    return render(request, "accounts/sign_up.html", {"form": form})


@login_required
def profile(request):
    instance, _created = CustomerProfile.objects.get_or_create(user=request.user)
    form = ProfileForm(
        request.POST or None, instance=instance, initial={"full_name": request.user.full_name}
    )
    if request.method == "POST" and form.is_valid():
        profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})
