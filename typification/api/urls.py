from django.urls import path

from typification.api.views import ClassifyView, TreeView

app_name = "typification"

urlpatterns = [
    path("classify", ClassifyView.as_view(), name="classify"),
    path("tree", TreeView.as_view(), name="tree"),
]
