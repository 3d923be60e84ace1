"""The demo configuration `make run` loads: a routing team with three business-unit specialists,
typification paths, knowledge entries and a week of metrics. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent
from agents.services import agent_create, agent_update
from prompts.models import PromptFragment
from prompts.services import fragment_create
from teams.models import Team
from teams.services import team_create
from versioning.components import get_kind
from versioning.roles import ADMIN
from versioning.services import component_publish

DEMO_ACTOR = "demo-loader"

# The tone every specialist shares, written once: each includes it with {{> tom-de-voz }} (prompt fragments).
FRAGMENT: dict[str, str] = {
    "name": "tom-de-voz",
    "title": "Tom de voz do atendimento",
    "description": "Como todos os especialistas falam com o cliente; cada um o inclui com {{> tom-de-voz }}.",
    "text": "Fale com o cliente de forma cordial, clara e sem jargão, em português do Brasil.",
}
INCLUDE_TONE = "{{> tom-de-voz }}"

AGENTS: list[dict[str, Any]] = [
    {
        "agent_id": "cards-specialist",
        "name": "Especialista em Cartões",
        "role": "Resolve dúvidas sobre cartões de crédito e débito: fatura, limite, bloqueio e segunda via.",
        "description": "Especialista da unidade de Cartões do atendimento.",
        "instructions": [
            INCLUDE_TONE,
            "Cumprimente o cliente pelo nome quando ele for informado.",
            "Nunca peça a senha do cartão nem o código de segurança (CVV).",
            "Para bloqueio por perda ou roubo, confirme os quatro últimos dígitos e bloqueie imediatamente.",
            "Explique prazos de fatura com datas concretas.",
        ],
        "model_provider": "openai",
        "model_name": "gpt-4o",
        "model_settings": {"temperature": 0.2, "max_output_tokens": 1200},
        "tools": [
            "card_lookup",
            {
                "name": "block_card",
                "description": "Bloqueia um cartão",
                "parameters": {"type": "object", "properties": {"last4": {"type": "string"}}},
            },
        ],
        "parameters": {"markdown": True, "add_history_to_context": True, "num_history_runs": 5},
    },
    {
        "agent_id": "pix-specialist",
        "name": "Especialista em Pix e Transferências",
        "role": "Ajuda com Pix, TED, chaves Pix, limites e devoluções (MED).",
        "description": "Especialista da unidade de Pix e Transferências.",
        "instructions": [
            INCLUDE_TONE,
            "Confirme o valor, a data e a chave de destino antes de qualquer análise.",
            "Para golpes, oriente o registro do MED em até 80 dias e abra o chamado.",
            "Limites noturnos valem das 20h às 6h; explique como ajustá-los no app.",
        ],
        "model_provider": "anthropic",
        "model_name": "claude-sonnet-4-20250514",
        "model_settings": {"temperature": 0.3, "max_tokens": 1500},
        "tools": ["pix_transaction_lookup"],
        "parameters": {"add_history_to_context": True},
    },
    {
        "agent_id": "credit-specialist",
        "name": "Especialista em Crédito",
        "role": "Responde sobre empréstimos, antecipação de recebíveis e renegociação.",
        "description": "Especialista da unidade de Crédito.",
        "instructions": [
            INCLUDE_TONE,
            "Informe taxas sempre como custo efetivo total (CET) ao mês e ao ano.",
            "Antecipação de recebíveis: explique o desconto proporcional ao prazo.",
            "Não prometa aprovação de crédito: a análise é feita pelo sistema.",
        ],
        "model_provider": "openai-chat",
        "model_name": "gpt-4o-mini",
        "model_settings": {"temperature": 0.1, "max_tokens": 1000},
        "tools": [],
        "parameters": {"expected_output": "Resposta curta com os próximos passos numerados."},
    },
]

TEAM: dict[str, Any] = {
    "team_id": "customer-service-router",
    "name": "Atendimento — Roteamento",
    "mode": "route",
    "description": "Encaminha cada mensagem do cliente ao especialista da unidade de negócio certa.",
    "instructions": [
        "Classifique a mensagem pela tipificação (unidade → produto → motivo → submotivo).",
        "Encaminhe para um único especialista; se a confiança for baixa, peça um detalhe ao cliente.",
    ],
    "model_provider": "openai",
    "model_name": "gpt-4o-mini",
    "model_settings": {"temperature": 0.0},
    "parameters": {"role": "Roteador do atendimento", "respond_directly": True},
}

TYPIFICATION = [
    (
        "Cartões",
        "Cartão de Crédito",
        "Fatura",
        "Valor não reconhecido",
        "cards",
        ["fatura", "cobrança", "compra não reconhecida"],
    ),
    ("Cartões", "Cartão de Crédito", "Limite", "Aumento de limite", "cards", ["limite", "aumentar limite"]),
    ("Cartões", "Cartão de Débito", "Bloqueio", "Perda ou roubo", "cards", ["bloquear", "perdi", "roubado", "furtado"]),
    ("Pix e Transferências", "Pix", "Envio", "Pix não recebido", "pix", ["pix", "não caiu", "transferência"]),
    ("Pix e Transferências", "Pix", "Golpe", "Devolução MED", "pix", ["golpe", "fraude", "med", "devolução"]),
    ("Pix e Transferências", "Pix", "Limites", "Limite noturno", "pix", ["limite noturno", "limite pix"]),
    ("Crédito", "Empréstimo", "Contratação", "Taxas e CET", "credit", ["empréstimo", "juros", "taxa", "cet"]),
    (
        "Crédito",
        "Antecipação",
        "Recebíveis",
        "Antecipação de vendas",
        "credit",
        ["antecipação", "antecipar", "recebíveis"],
    ),
]

KNOWLEDGE = [
    (
        "cards",
        "Fatura",
        "Como contesto uma compra que não reconheço na fatura?",
        "No app, abra Cartões › Fatura, toque na compra e escolha “Não reconheço”. O valor fica em análise por até 10 dias úteis.",
    ),
    (
        "cards",
        "Limite",
        "Como peço aumento de limite do cartão de crédito?",
        "Em Cartões › Limite, toque em “Pedir mais limite”. A análise é automática e considera seu histórico de pagamentos.",
    ),
    (
        "cards",
        "Bloqueio",
        "Perdi meu cartão, o que faço?",
        "Bloqueie na hora em Cartões › Bloquear. Depois peça a segunda via; ela chega em até 7 dias úteis.",
    ),
    (
        "cards",
        "Fatura",
        "Qual a data de fechamento da minha fatura?",
        "A fatura fecha 7 dias antes do vencimento escolhido. Veja as datas em Cartões › Fatura.",
    ),
    (
        "pix",
        "Envio",
        "Fiz um Pix e o destinatário não recebeu.",
        "Pix cai em segundos. Confira o comprovante e a chave. Se o status for “Concluído”, peça ao destinatário para verificar o extrato.",
    ),
    (
        "pix",
        "Golpe",
        "Caí em um golpe pelo Pix, consigo o dinheiro de volta?",
        "Abra o MED (Mecanismo Especial de Devolução) em até 80 dias pelo app. Registre também um boletim de ocorrência.",
    ),
    (
        "pix",
        "Limites",
        "Como altero meu limite de Pix noturno?",
        "Em Pix › Meus limites, ajuste o limite das 20h às 6h. Aumentos valem após 24 horas por segurança.",
    ),
    (
        "pix",
        "Chaves",
        "Como cadastro uma chave Pix?",
        "Em Pix › Minhas chaves, escolha CPF, celular, e-mail ou chave aleatória e confirme pelo app.",
    ),
    (
        "credit",
        "Empréstimo",
        "Quais as taxas do empréstimo pessoal?",
        "A taxa depende da análise de crédito. Antes de contratar, o app mostra o CET mensal e anual.",
    ),
    (
        "credit",
        "Antecipação",
        "Como funciona a antecipação de recebíveis?",
        "Você recebe hoje as vendas a prazo, com um desconto proporcional aos dias antecipados. Simule em Vendas › Antecipar.",
    ),
    (
        "credit",
        "Renegociação",
        "Posso renegociar uma parcela atrasada?",
        "Sim. Em Crédito › Meus contratos, escolha “Renegociar” para ver as condições disponíveis.",
    ),
    (
        "credit",
        "Antecipação",
        "A antecipação é automática?",
        "Você pode ativar a antecipação automática em Vendas › Antecipação; ela vale para as próximas vendas.",
    ),
]


def ensure_admin(stdout) -> None:
    User = get_user_model()
    if User.objects.filter(username="admin").exists():
        return
    password = settings.HIVE_ADMIN_PASSWORD or secrets.token_urlsafe(12)
    user = User.objects.create_superuser("admin", "admin@example.com", password)
    user.groups.add(Group.objects.get(name=ADMIN))
    if settings.HIVE_ADMIN_PASSWORD:
        stdout.write(_("Created admin user “admin” with the password from HIVE_ADMIN_PASSWORD.") + "\n")
    else:
        stdout.write(
            _("Created admin user “admin”. Its password is shown once, here:")
            + f"\n    {password}\n"
            + _("(Change it with: .venv/bin/python manage.py changepassword admin)")
            + "\n"
        )


def _load_components() -> bool:
    if (
        Agent.objects.filter(agent_id__in=[a["agent_id"] for a in AGENTS]).exists()
        or Team.objects.filter(team_id=TEAM["team_id"]).exists()
    ):
        return False
    agent_kind, team_kind = get_kind("agent"), get_kind("team")
    if not PromptFragment.objects.filter(name=FRAGMENT["name"]).exists():
        fragment_create(actor=DEMO_ACTOR, note="Demo: the shared tone of voice", **FRAGMENT)
        component_publish(kind=get_kind("fragment"), component_id=FRAGMENT["name"], actor=DEMO_ACTOR)
    agents = []
    for spec in AGENTS:
        agent = agent_create(actor=DEMO_ACTOR, note="Demo: first version", **spec)
        component_publish(kind=agent_kind, component_id=agent.agent_id, actor=DEMO_ACTOR)
        _promote_everywhere(agent_kind, agent.agent_id)
        agents.append(agent)
    # A second published version, so history, diff and rollback have something to show; it stays in the
    # first environment (staging ahead of production), so promotion has something to show too.
    cards = agents[0]
    agent_update(
        agent=cards,
        actor=DEMO_ACTOR,
        note="Demo: explain the dispute deadline",
        instructions=cards.instructions + ["Em contestações, informe o prazo de análise de até 10 dias úteis."],
        model_settings={**cards.model_settings, "temperature": 0.3},
    )
    component_publish(kind=agent_kind, component_id=cards.agent_id, actor=DEMO_ACTOR)
    team = team_create(actor=DEMO_ACTOR, note="Demo: routing team", members=agents, **TEAM)
    component_publish(kind=team_kind, component_id=team.team_id, actor=DEMO_ACTOR)
    _promote_everywhere(team_kind, team.team_id)
    return True


def _promote_everywhere(kind, component_id: str) -> None:
    """Promote what the first environment serves down the whole pipeline (the demo is a system caller)."""
    from django.conf import settings

    from versioning.promotion import component_promote

    for environment in settings.HIVE_ENVIRONMENTS[1:]:
        component_promote(
            kind=kind, component_id=component_id, environment=environment, actor=DEMO_ACTOR, note="Demo: promoted"
        )


def _load_typification() -> int:
    """The demo paths and routes, published as the routing version production uses (the loader is a
    system caller, so it publishes directly)."""
    from typification.models import ROUTING_ID, BusinessUnitRoute, TypificationHierarchy
    from typification.services import business_unit_route_create, routing_publish, typification_create
    from versioning.selectors import component_status

    # Someone's open routing draft is theirs to publish: the demo (run by every `make run`) never does.
    someone_drafting = component_status("routing", ROUTING_ID).draft is not None
    created = routed = 0
    for l1, l2, l3, l4, bu, keywords in TYPIFICATION:
        if not TypificationHierarchy.objects.filter(level1=l1, level2=l2, level3=l3, level4=l4, level5="").exists():
            typification_create(
                level1=l1, level2=l2, level3=l3, level4=l4, business_unit=bu, routing_keywords=keywords,
                actor=DEMO_ACTOR, reason="Demo typification",
            )  # fmt: skip
            created += 1
    for unit, agent_id in (("cards", "cards-specialist"), ("pix", "pix-specialist"), ("credit", "credit-specialist")):
        if not BusinessUnitRoute.objects.filter(business_unit=unit).exists():
            agent = Agent.objects.filter(agent_id=agent_id).first()
            if agent is not None:
                business_unit_route_create(business_unit=unit, agent=agent, actor=DEMO_ACTOR, reason="Demo routing")
                routed += 1
    if (created or routed) and not someone_drafting:
        routing_publish(actor=DEMO_ACTOR, note="Demo typification and routing")
        _promote_everywhere(get_kind("routing"), ROUTING_ID)
    return created


def _load_knowledge() -> int:
    from knowledge.models import KnowledgeEntry
    from knowledge.services import knowledge_entry_create

    created = 0
    for bu, category, question, answer in KNOWLEDGE:
        if not KnowledgeEntry.objects.filter(business_unit=bu, question=question).exists():
            knowledge_entry_create(
                business_unit=bu, category=category, question=question, answer=answer,
                actor=DEMO_ACTOR, reason="Demo knowledge",
            )  # fmt: skip
            created += 1
    return created


DEMO_QUERIES = [
    ("Meu pix não caiu", "pix-specialist", ["Pix e Transferências", "Pix", "Envio", "Pix não recebido"]),
    ("Caí num golpe pelo pix", "pix-specialist", ["Pix e Transferências", "Pix", "Golpe", "Devolução MED"]),
    ("Quero aumentar meu limite", "cards-specialist", ["Cartões", "Cartão de Crédito", "Limite", "Aumento de limite"]),
    ("Perdi o cartão", "cards-specialist", ["Cartões", "Cartão de Débito", "Bloqueio", "Perda ou roubo"]),
    (
        "Como antecipar minhas vendas?",
        "credit-specialist",
        ["Crédito", "Antecipação", "Recebíveis", "Antecipação de vendas"],
    ),
]


def _load_metrics() -> int:
    from monitoring import rollups
    from monitoring.models import AgentMetric, RoutingDecision

    if AgentMetric.objects.exists():
        return 0
    rng = random.Random(42)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    metrics, decisions = [], []
    units = {"cards-specialist": "cards", "pix-specialist": "pix", "credit-specialist": "credit"}
    for hours_ago in range(7 * 24, 0, -1):
        at = now - timedelta(hours=hours_ago)
        for agent_id in units:
            # The cards specialist got a prompt change (v2) three days ago: faster, fewer errors since.
            version = 2 if agent_id == "cards-specialist" and hours_ago <= 72 else 1
            for _attempt in range(rng.randint(1, 6)):
                ok = rng.random() > (0.03 if version == 2 else 0.08)
                metrics.append(
                    AgentMetric(
                        agent_id=agent_id,
                        session_id=f"s-{rng.randint(1, 10**9)}",
                        response_time_ms=int(rng.lognormvariate(6.8 if version == 2 else 7.0, 0.45)),
                        tokens_used=rng.randint(300, 2400),
                        success=ok,
                        error_message="" if ok else "upstream timeout",
                        created_at=at + timedelta(minutes=rng.randint(0, 59)),
                        config_version=version,
                    )
                )
        for _attempt in range(rng.randint(2, 8)):
            query, agent_id, path = rng.choice(DEMO_QUERIES)
            decisions.append(
                RoutingDecision(
                    session_id=f"s-{rng.randint(1, 10**9)}",
                    query=query,
                    routed_to=agent_id,
                    confidence_score=round(rng.uniform(0.35, 0.99), 2),
                    typification_result={"business_unit": units[agent_id], "path": path},
                    created_at=at + timedelta(minutes=rng.randint(0, 59)),
                )
            )
    AgentMetric.objects.bulk_create(metrics, batch_size=2000)
    RoutingDecision.objects.bulk_create(decisions, batch_size=2000)
    rollups.rebuild(start=now - timedelta(hours=7 * 24), end=now)  # written directly, not through ingestion
    return len(metrics)


@transaction.atomic
def load_demo(stdout) -> None:
    ensure_admin(stdout)
    components = _load_components()
    typification = _load_typification()
    knowledge = _load_knowledge()
    metrics = _load_metrics()
    if components or typification or knowledge or metrics:
        counts = {"typification": typification, "knowledge": knowledge, "metrics": metrics}
        if components:
            loaded = _(
                "Demo configuration loaded: 3 agents sharing a prompt fragment and 1 team, %(typification)s "
                "typification paths, %(knowledge)s knowledge entries, %(metrics)s metrics."
            )
        else:
            loaded = _(
                "Demo configuration loaded: %(typification)s typification paths, %(knowledge)s knowledge entries, "
                "%(metrics)s metrics."
            )
        stdout.write(loaded % counts + "\n")
    else:
        stdout.write(_("Demo configuration already present; nothing changed.") + "\n")
