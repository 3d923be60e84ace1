"""Comparison views for bench/runtime_api.py, mounted only when HIVE_BENCH_VIEWS=true.

- ``baseline``: the same Django stack returning precomputed bytes (the ceiling for any view).
- ``naive``: the seeds' pattern, querying the agent row and serialising it on every request.
"""

from django.http import HttpResponse
from django.urls import path
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import Agent

_PRECOMPUTED: dict[str, bytes] = {}


def baseline(request, agent_id):
    body = _PRECOMPUTED.get(agent_id)
    if body is None:
        from runtime.documents import render
        from runtime.selectors import agent_document

        body = _PRECOMPUTED[agent_id] = render(agent_document(agent_id), generation=0).body
    return HttpResponse(body, content_type="application/json")


class NaiveAgentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agent
        fields = (
            "agent_id", "name", "version", "model_provider", "model_name", "model_settings", "role", "description",
            "system_prompt", "instructions", "tools", "parameters", "is_active", "created_at", "updated_at",
        )  # fmt: skip


class NaiveAgentView(APIView):
    required_scope = "config:read"

    def get(self, request, agent_id):
        agent = Agent.objects.get(agent_id=agent_id, is_active=True)
        return Response(NaiveAgentSerializer(agent).data)


urlpatterns = [
    path("baseline/agents/<str:agent_id>/config", baseline),
    path("naive/agents/<str:agent_id>/config", NaiveAgentView.as_view()),
]
