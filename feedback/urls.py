from django.urls import URLPattern, URLResolver, path

from feedback import api, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("feedback/", views.feedback_form, name="feedback-form"),
    path("api/v1/feedback", api.FeedbackSubmitApi.as_view(), name="feedback-submit"),
    path("api/v1/feedback/items", api.FeedbackItemListApi.as_view(), name="feedback-item-list"),
    path("api/v1/feedback/items/<int:item_id>", api.FeedbackItemDetailApi.as_view(), name="feedback-item-detail"),
    path(
        "api/v1/feedback/stats/net-sentiment", api.FeedbackNetSentimentApi.as_view(), name="feedback-net-sentiment"
    ),
    path(
        "api/v1/feedback/stats/sentiment-over-time",
        api.FeedbackSentimentOverTimeApi.as_view(),
        name="feedback-sentiment-over-time",
    ),
    path("api/v1/feedback/stats/pain-points", api.FeedbackPainPointsApi.as_view(), name="feedback-pain-points"),
]
