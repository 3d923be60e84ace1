"""Reads for webhooks."""

from __future__ import annotations

from django.db.models import QuerySet

from webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoints_for_event(event: str) -> list[WebhookEndpoint]:
    """The active endpoints that receive ``event`` (an empty event filter means every event)."""
    return [endpoint for endpoint in WebhookEndpoint.objects.filter(is_active=True) if endpoint.wants(event)]


def deliveries_of_event(event_id) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(event_id=event_id).select_related("endpoint")
