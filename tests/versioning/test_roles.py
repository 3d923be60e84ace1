"""The permission matrix of the four roles."""

import pytest

pytestmark = pytest.mark.django_db

MATRIX = [
    # permission, viewer, editor, publisher, admin
    ("agents.view_agent", True, True, True, True),
    ("agents.change_agent", False, True, True, True),
    ("agents.add_agent", False, True, True, True),
    ("agents.delete_agent", False, False, True, True),
    ("teams.change_team", False, True, True, True),
    ("teams.change_teammember", False, True, True, True),
    # typification paths and routes are the routing's draft: editors propose, publishers publish
    ("typification.view_routingtable", True, True, True, True),
    ("typification.change_routingtable", False, True, True, True),
    ("typification.add_routingtable", False, False, False, True),
    ("typification.delete_routingtable", False, False, False, True),
    ("typification.change_typificationhierarchy", False, True, True, True),
    ("typification.add_typificationhierarchy", False, True, True, True),
    ("typification.delete_typificationhierarchy", False, True, True, True),
    ("typification.change_businessunitroute", False, True, True, True),
    ("typification.add_businessunitroute", False, True, True, True),
    ("typification.delete_businessunitroute", False, True, True, True),
    # knowledge entries are served as soon as they are saved: publishers only
    ("knowledge.change_knowledgeentry", False, False, True, True),
    ("knowledge.add_knowledgeentry", False, False, True, True),
    ("knowledge.delete_knowledgeentry", False, False, True, True),
    ("audit.view_auditrecord", True, True, True, True),
    ("versioning.publish_component", False, False, True, True),
    ("versioning.review_component", False, False, True, True),
    ("audit.change_auditrecord", False, False, False, True),
    ("runtime.view_apikey", False, False, False, True),
    ("runtime.add_apikey", False, False, False, True),
    ("auth.change_user", False, False, False, True),
    ("monitoring.view_agentmetric", True, True, True, True),
]


@pytest.mark.parametrize("perm, expected", [(row[0], row[1:]) for row in MATRIX], ids=[row[0] for row in MATRIX])
def test_permission_matrix(perm, expected, viewer, editor, publisher, portal_admin):
    got = [user.has_perm(perm) for user in (viewer, editor, publisher, portal_admin)]
    assert got == list(expected), perm


@pytest.mark.parametrize("name", ["knowledge_knowledgeentry_add"])
def test_prompt_editor__cannot_change_what_is_live_on_save(client, editor, name):
    from django.urls import reverse

    client.force_login(editor)
    assert client.get(reverse(f"admin:{name}")).status_code == 403
