"""Pages of the feedback app: the public feedback form (no account; CSRF-protected, rate limited per address)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from feedback import services
from feedback.forms import FeedbackWebForm, new_submission_token
from feedback.ratelimit import client_address, rate_limit_hit


@require_http_methods(["GET", "POST"])
def feedback_form(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = FeedbackWebForm(initial={"token": new_submission_token()})
        return render(request, "feedback/form.html", {"form": form})

    allowed, retry_after = rate_limit_hit(
        scope="web", ident=client_address(request), rate=settings.PITWALL_FEEDBACK_WEB_RATE
    )
    if not allowed:
        form = FeedbackWebForm(data=request.POST)
        response = render(request, "feedback/form.html", {"form": form, "rate_limited": True}, status=429)
        response["Retry-After"] = str(retry_after)
        return response

    form = FeedbackWebForm(data=request.POST)
    if not form.is_valid():
        notice = ""
        if "token" in form.errors:
            # Keep what they wrote; a fresh token lets them send it with one click.
            notice = str(form.errors["token"][0])
            form = form.renewed()
        return render(request, "feedback/form.html", {"form": form, "notice": notice}, status=400)
    receipt = services.feedback_submit_from_web(
        submission_id=form.cleaned_data["token"],
        text=form.cleaned_data["text"],
        author_handle=form.cleaned_data["handle"],
    )
    return render(request, "feedback/thanks.html", {"item": receipt.item})
