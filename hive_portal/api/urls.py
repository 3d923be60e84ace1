"""The versioned API: each app contributes its ``api/urls.py`` under ``/api/v1/``."""

from django.urls import include, path

app_name = "api"

v1 = [
]

urlpatterns = [
    path("v1/", include((v1, "v1"))),
]
