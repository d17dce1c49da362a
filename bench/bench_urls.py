import json

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from pitwall.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def trivial(request: HttpRequest) -> JsonResponse:
    """The baseline: reads the same JSON body, answers a constant, touches no database."""
    json.loads(request.body or b"{}")
    return JsonResponse({"flags": []})


urlpatterns = [path("bench/trivial", trivial), *project_urlpatterns]
