from django.urls import path

from runtime.api import views

urlpatterns = [
    path("agents/", views.AgentIndexView.as_view(), name="agent-index"),
    path("agents/<str:agent_id>/config", views.AgentConfigView.as_view(), name="agent-config"),
    path("teams/", views.TeamIndexView.as_view(), name="team-index"),
    path("teams/<str:team_id>/config", views.TeamConfigView.as_view(), name="team-config"),
    path("bundle", views.BundleView.as_view(), name="bundle"),
]
