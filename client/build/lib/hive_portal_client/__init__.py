"""Hive Portal's runtime client: ready Agno agents and teams from the portal, kept current.

from hive_portal_client import HivePortal

portal = HivePortal("https://portal.example", api_key, tools=[card_lookup, pix_lookup], cache_dir="/var/cache/hive")
portal.watch()                                  # a publish reaches this process without a restart
team = portal.team("customer-service-router")   # an agno.team.Team, members, models and knowledge resolved
team.run("Meu pix não caiu")                    # metrics and routing decisions go back to the portal
"""

from hive_portal_client.builder import AgnoBuilder, HivePortalError
from hive_portal_client.client import HivePortal, PortalUnavailable
from hive_portal_client.knowledge import HivePortalKnowledge
from hive_portal_client.reporting import Reporter

__all__ = ["AgnoBuilder", "HivePortal", "HivePortalError", "PortalUnavailable", "HivePortalKnowledge", "Reporter"]
