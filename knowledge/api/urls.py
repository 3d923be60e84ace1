from django.urls import path

from knowledge.api.views import KnowledgeSearchView

app_name = "knowledge"
urlpatterns = [
    path("search", KnowledgeSearchView.as_view(), name="search"),
]
