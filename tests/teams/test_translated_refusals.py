"""The teams' refusals in the reader's language: a publish refused on the Portuguese publish page, the member
rules under Portuguese, and the same refusals in English by default."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from teams.models import Team
from teams.services import team_update
from versioning.selectors import component_status

pytestmark = pytest.mark.django_db


def test_publish_refused_on_the_portuguese_page__members_not_ready(client, publisher, make_agent, make_team):
    team = make_team("router", members=[make_agent("cards")])  # cards has no published version
    client.force_login(publisher)
    client.cookies["django_language"] = "pt-br"
    response = client.post(reverse("admin:teams_team_publish", args=[team.pk]), {"note": "go"}, follow=True)
    html = response.content.decode()
    assert "Membros não prontos: cards ainda não tem versão publicada." in html
    assert "Members not ready" not in html
    assert component_status("team", "router").published is None


def test_member_rules__portuguese_under_portuguese__english_by_default(make_team):
    team = make_team("router")
    cards = team.memberships.get(position=1).agent
    with translation.override("pt-br"), pytest.raises(ValidationError) as caught:
        team_update(team=team, actor="eddie", note="x", members=[(cards, 1), (cards, 2)])
    assert caught.value.message_dict == {"members": ["Um agente só pode ser membro de uma equipe uma vez."]}
    with pytest.raises(ValidationError) as caught:
        team_update(team=Team.objects.get(team_id="router"), actor="eddie", note="x", members=[(cards, 1), (cards, 2)])
    assert caught.value.message_dict == {"members": ["An agent can be a member of a team only once."]}
