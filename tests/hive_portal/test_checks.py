"""hive_portal.checks.rate_limits_are_shared: a rate limit must not count per process (README, "Several nodes")."""

import pytest
from django.urls import path
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from hive_portal import checks

pytestmark = pytest.mark.sqlite_smoke


class ThrottledView(APIView):
    throttle_classes = [AnonRateThrottle]

    def get(self, request):
        return Response({})


urlpatterns = [path("throttled/", ThrottledView.as_view())]


def test_portal__no_rate_limit__nothing_to_report():
    assert checks.rate_limits_are_shared() == []


def test_throttled_view__on_the_per_process_cache__refused(settings):
    settings.ROOT_URLCONF = __name__
    [error] = checks.rate_limits_are_shared()
    assert error.id == "hive_portal.E002"
    assert "ThrottledView" in error.msg and "each gunicorn worker on each node" in error.msg


def test_throttled_view__on_a_shared_cache__accepted(settings):
    settings.ROOT_URLCONF = __name__
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache"}}
    assert checks.rate_limits_are_shared() == []
