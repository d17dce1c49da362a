from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rollout import selectors


def home(request: HttpRequest) -> HttpResponse:
    feature = selectors.feature_by_key(selectors.FAST_MODE_KEY)
    return render(request, "rollout/home.html", {"feature": feature})
