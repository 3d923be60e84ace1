"""An index that covers extra columns where the database can (PostgreSQL ``INCLUDE``).

Django's own ``Index(include=...)`` works only on PostgreSQL and makes ``migrate`` warn on SQLite
(models.W040). The dashboards need index-only scans on PostgreSQL, and the SQLite fallback only needs
the key columns, so this index adds the covered columns when the database supports them and quietly
builds the plain index elsewhere.
"""

from __future__ import annotations

import copy

from django.db import models


class CoveringIndex(models.Index):
    def __init__(self, *args, covering: tuple[str, ...] | list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.covering = tuple(covering)

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["covering"] = self.covering
        return "monitoring.indexes.CoveringIndex", args, kwargs

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if self.covering and schema_editor.connection.features.supports_covering_indexes:
            with_include = copy.copy(self)
            with_include.include = self.covering
            return models.Index.create_sql(with_include, model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)
