from django.urls import path

from monitoring.api.views import AgentMetricIngestView, RoutingDecisionIngestView

app_name = "monitoring"

urlpatterns = [
    path("metrics", AgentMetricIngestView.as_view(), name="metrics"),
    path("routing-decisions", RoutingDecisionIngestView.as_view(), name="routing-decisions"),
]
