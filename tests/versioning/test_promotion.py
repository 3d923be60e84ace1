"""Promotion services: corner cases the admin pages reach."""

import pytest

from versioning.components import get_kind
from versioning.models import PromotionRequest, PromotionState
from versioning.promotion import component_promote, promotion_request
from versioning.selectors import live_version

pytestmark = pytest.mark.django_db

AGENT = get_kind("agent")


def test_promote_without_review__closes_an_unreviewed_request_for_the_same_version(make_agent):
    make_agent("cards", publish=True)
    promotion_request(kind=AGENT, component_id="cards", environment="production", actor="rita", note="Please")
    component_promote(kind=AGENT, component_id="cards", environment="production", actor="ops", note="Direct")
    assert live_version("agent", "cards", "production").version == 1
    request = PromotionRequest.objects.get()
    assert request.state == PromotionState.CANCELLED and request.closed_at is not None
