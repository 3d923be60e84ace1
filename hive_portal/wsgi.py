"""WSGI entry point (gunicorn ``hive_portal.wsgi``)."""

import os
import sys

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hive_portal.settings")

try:
    from django.core.wsgi import get_wsgi_application

    from hive_portal.startup import prepare

    prepare()  # done already when gunicorn's master prepared before forking this worker
    django_application = get_wsgi_application()
    from hive_portal.wsgi_fast_path import KnowledgeSearchWSGIFastPath

    # The runtime's plain vector searches are answered before Django's handler; everything else is Django's.
    application = KnowledgeSearchWSGIFastPath(django_application)
except ImproperlyConfigured as exc:  # pragma: no cover - exercised through gunicorn
    sys.stderr.write(f"Configuration error: {exc}\n")
    sys.exit(2)
