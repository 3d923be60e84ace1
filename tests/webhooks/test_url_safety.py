"""A delivery goes to the address that was just checked, never to a second lookup of the name (DNS rebinding)."""

import socket

import httpx
import pytest

from webhooks.url_safety import pinned_request, validate_webhook_url

PUBLIC = "93.184.216.34"


@pytest.mark.parametrize(
    ("url", "addresses", "expected"),
    [
        ("http://hooks.example.com/in", [PUBLIC], ("http://93.184.216.34/in", {"Host": "hooks.example.com"}, {})),
        (
            "https://hooks.example.com:8443/in?x=1",
            [PUBLIC],
            (
                "https://93.184.216.34:8443/in?x=1",
                {"Host": "hooks.example.com:8443"},
                {"sni_hostname": "hooks.example.com"},
            ),
        ),
        (
            "https://v6.example.com/in",
            ["2606:2800:220:1::1"],
            ("https://[2606:2800:220:1::1]/in", {"Host": "v6.example.com"}, {"sni_hostname": "v6.example.com"}),
        ),
        ("http://127.0.0.1:9000/in", [], ("http://127.0.0.1:9000/in", {}, {})),  # HIVE_WEBHOOK_ALLOW_PRIVATE: as is
    ],
)
def test_pinned_request(url, addresses, expected):
    assert pinned_request(url, addresses) == expected


def _resolver(*answers):
    calls = iter(answers)

    def getaddrinfo(host, port, *args, **kwargs):
        address = next(calls)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    return getaddrinfo


def test_validate__returns_the_public_addresses__refuses_a_private_answer(settings, monkeypatch):
    from django.core.exceptions import ValidationError

    settings.HIVE_WEBHOOK_ALLOW_PRIVATE = False
    monkeypatch.setattr(socket, "getaddrinfo", _resolver(PUBLIC, "10.0.0.7"))
    assert validate_webhook_url("https://hooks.example.com/in") == [PUBLIC]
    with pytest.raises(ValidationError, match="10.0.0.7"):
        validate_webhook_url("https://hooks.example.com/in")


def test_send__connects_to_the_checked_address_even_if_the_name_now_resolves_elsewhere(
    db, settings, monkeypatch, portal_admin
):
    from webhooks import services
    from webhooks.models import WebhookDelivery

    settings.HIVE_WEBHOOK_ALLOW_PRIVATE = False
    # Saving checks once; the delivery checks again (public), and a third lookup would say loopback.
    monkeypatch.setattr(socket, "getaddrinfo", _resolver(PUBLIC, PUBLIC, "127.0.0.1"))
    endpoint = services.endpoint_create(
        name="partner", url="http://hooks.example.com/in", events=[], actor=portal_admin
    )
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers["Host"]))
        return httpx.Response(204)

    real_client = httpx.Client
    monkeypatch.setattr(
        services.httpx, "Client", lambda **kw: real_client(transport=httpx.MockTransport(handler), **kw)
    )
    services.webhook_event_record(event="component.published", payload={"component_id": "cards"}, endpoints=[endpoint])
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert services._send(delivery, 1) == (204, "")
    assert seen == [(PUBLIC, "hooks.example.com")]
