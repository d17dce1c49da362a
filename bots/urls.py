from django.urls import path

from bots import views

urlpatterns = [
    path("webhooks/github", views.github_webhook, name="github-webhook"),
]
