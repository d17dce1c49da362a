"""POST /webhooks/github: check the size, then the signature, then store the delivery once and answer at once.

Order matters: nothing is parsed before the HMAC of the raw body is verified, and no body over the cap is read.
Processing happens in a Celery task queued on commit, so GitHub's 10-second timeout is never at risk and a crash
after the answer loses nothing (the delivery is in the database; the requeue sweeper finds it).
"""

import hashlib
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bots import services
from bots.config import github_config
from bots.github.events import signature_valid
from bots.models import DeliveryOutcome
from pitwall.errors import error_body
from pitwall.middleware import takes_body_up_to

logger = logging.getLogger(__name__)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


def _parse(body: bytes, content_type: str) -> dict[str, Any] | None:
    """JSON, or the form encoding GitHub sends when a hook is set to application/x-www-form-urlencoded."""
    try:
        if content_type.startswith("application/x-www-form-urlencoded"):
            body = parse_qs(body.decode("utf-8"), strict_parsing=True).get("payload", [""])[0].encode("utf-8")
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


@takes_body_up_to("PITWALL_GITHUB_WEBHOOK_MAX_BYTES")
@csrf_exempt
@require_POST
def github_webhook(request: HttpRequest) -> JsonResponse:
    config = github_config()
    if config.webhook_off_reason:
        return _error(503, "webhook_off", config.webhook_off_reason)
    # A Content-Length over PITWALL_GITHUB_WEBHOOK_MAX_BYTES was refused (413) by pitwall.middleware, and Django
    # reads no further than the Content-Length.
    if not request.META.get("CONTENT_LENGTH"):
        return _error(411, "length_required", "A Content-Length header is required.")
    # Not request.body, which would apply DATA_UPLOAD_MAX_MEMORY_SIZE instead of the webhook's own cap.
    body = request.read()
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not signature:
        logger.warning("bots.github_webhook.unsigned")
        return _error(401, "signature_missing", "X-Hub-Signature-256 is missing.")
    if not signature_valid(secret=config.webhook_secret, body=body, header=signature):
        logger.warning("bots.github_webhook.bad_signature")
        return _error(401, "signature_invalid", "X-Hub-Signature-256 does not match the body.")
    event = request.headers.get("X-GitHub-Event", "").strip()
    delivery_id = request.headers.get("X-GitHub-Delivery", "").strip()
    if not event or not delivery_id or len(delivery_id) > 64:
        return _error(400, "headers_missing", "X-GitHub-Event and X-GitHub-Delivery are required.")
    payload = _parse(body, request.content_type or "")
    if payload is None:
        return _error(400, "malformed_payload", "The body is not a JSON object.")
    receipt = services.webhook_delivery_receive(
        delivery_id=delivery_id, event=event, payload=payload, body_sha256=hashlib.sha256(body).hexdigest()
    )
    delivery = receipt.delivery
    if not receipt.created:
        return JsonResponse({"status": "duplicate", "delivery": delivery_id}, status=200)
    if delivery.outcome == DeliveryOutcome.IGNORED:
        return JsonResponse({"status": "ignored", "reason": delivery.detail, "delivery": delivery_id}, status=200)
    if event == "ping":
        return JsonResponse({"status": "pong", "delivery": delivery_id}, status=200)
    return JsonResponse({"status": "queued", "delivery": delivery_id}, status=202)
