"""The versioned API: each app contributes its ``api/urls.py`` under ``/api/v1/``."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from knowledge.api.views import KnowledgeSearchView

# The runtime calls knowledge search on every message: a plainly valid vector search from a known key is answered
# before the session, CSRF and authentication layers and DRF (hive_portal.middleware.KnowledgeSearchFastPathMiddleware,
# runtime/api/fast_search.py); everything else comes here, to the DRF view.
knowledge = ([path("search", KnowledgeSearchView.as_view(), name="search")], "knowledge")

v1 = [
    path("", include("runtime.api.urls")),
    path("", include("monitoring.api.urls")),
    path("knowledge/", include(knowledge)),
    path("typification/", include("typification.api.urls")),
]

urlpatterns = [
    path("v1/", include((v1, "v1"))),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the Content-Security-Policy forbids inline scripts.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
