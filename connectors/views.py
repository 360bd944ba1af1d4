"""Platform webhooks: parse, call one service, respond."""
from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def postmart_webhook(request: HttpRequest) -> JsonResponse:
    """PostMart posts signed events; 2xx acknowledges (a redelivered event is answered 200 too)."""
    try:
        result = services.postmart_webhook_handle(raw_body=request.body,
                                                  signature=request.headers.get("X-PostMart-Signature", ""))
    except services.WebhookRejected as error:
        logger.warning("PostMart webhook rejected: %s", error)
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse({"result": result})
