"""Read-only views of what the bots received and where they are, for operators."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from bots.models import SyncState, WebhookDelivery


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["delivery_id", "event", "action", "outcome", "detail", "attempts", "received_at", "processed_at"]
    list_filter = ["outcome", "event"]
    search_fields = ["delivery_id"]
    date_hierarchy = "received_at"
    exclude = ["payload"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields if f.name != "payload"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SyncState)
class SyncStateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["key", "watermark", "external_id", "last_run_at", "last_outcome"]
    readonly_fields = [f.name for f in SyncState._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
