"""Shared helpers at the bottom of the portal's layers (see README, "How the code is laid out").

Everything here depends on Django, DRF and the standard library only, never on a portal app, so every app
may use it: database helpers, JSON and text limits, CSV safety, the API's error shape, parser and schema
helpers, Agno's parameter names and document shapes, the database outage gate.
"""
