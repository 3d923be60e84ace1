from django.urls import path

from runtime.api import views
from runtime.api.reports import RuntimeReportView


def _view(cls):
    return cls.fast_path(cls.as_view())


urlpatterns = [
    path("agents/", _view(views.AgentIndexView), name="agent-index"),
    path("agents/<str:agent_id>/config", _view(views.AgentConfigView), name="agent-config"),
    path("teams/", _view(views.TeamIndexView), name="team-index"),
    path("teams/<str:team_id>/config", _view(views.TeamConfigView), name="team-config"),
    path("bundle", _view(views.BundleView), name="bundle"),
    path("bundle/wait", views.BundleWaitView.as_view(), name="bundle-wait"),
    path("runtime/report", RuntimeReportView.as_view(), name="runtime-report"),
]
