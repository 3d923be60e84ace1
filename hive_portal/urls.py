from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from hive_portal.health import health
from notifications.views import set_language

admin.site.site_header = "Hive Portal"
admin.site.site_title = "Hive Portal"
admin.site.index_title = _("Agent configuration")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("health/", health, name="health"),
    # The language switcher's form posts here: Django's set_language, the choice also kept for the person's e-mails.
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/", include(("hive_portal.api.urls", "api"))),
]

if settings.HIVE_BENCH_VIEWS:  # comparison views for bench/runtime_api.py only
    urlpatterns.append(path("bench/", include("runtime.bench_views")))

handler400 = "common.api.errors.handler400"
handler404 = "common.api.errors.handler404"
handler500 = "common.api.errors.handler500"
