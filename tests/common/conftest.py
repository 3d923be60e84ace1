from tests.hive_portal.conftest import subprocess_env  # noqa: F401  (manage.py in a subprocess)
