"""``AgnoBuilder``: turn the portal's documents (``Agent.to_dict()``/``Team.to_dict()``-shaped) into Agno objects
with Agno's own ``from_dict`` and a ``Registry`` — the one builder the runtime client and the portal's
evaluation runner share, so a test case runs exactly the objects production runs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from hive_portal_client.knowledge import HivePortalKnowledge

MODEL_IDENTITY = ("provider", "id", "name")
MODEL_KEYS = ("model", "reasoning_model", "output_model", "parser_model", "followup_model")
# Agno 3.1's from_dict leaves these out (TODO there); the builder sets them after loading.
SET_AFTER_LOAD = ("output_model", "parser_model")


class HivePortalError(Exception):
    """The portal's configuration cannot be turned into an Agno object (names what is missing)."""


class AgnoBuilder:
    def __init__(
        self,
        *,
        tools: Iterable[Any] = (),
        models: Iterable[Any] = (),
        knowledge: Iterable[Any] = (),
        http: Any = None,
        reporter: Any = None,
    ):
        """``tools``: functions, ``agno.tools.function.Function``s and toolkits, bound by name; ``models``: live
        model instances to use instead of building them (matched by id/provider/name); ``knowledge``: objects to
        use for a document's ``knowledge`` name (otherwise a ``HivePortalKnowledge`` over ``http``);
        ``reporter``: adds the hooks that report runs back to the portal."""
        self.tools = list(tools)
        self.models = list(models)
        self.knowledge = {k.name: k for k in knowledge}
        self.http = http
        self.reporter = reporter

    def provided_tool_names(self) -> list[str]:
        """The tool names this runtime resolves, as the portal's catalogue names them: each function, each
        toolkit (a toolkit named as one tool) and each toolkit's functions. Sorted."""
        names: set[str] = set()
        try:
            from agno.tools.toolkit import Toolkit
        except ImportError:  # without the agno extra only plain functions can be named
            Toolkit = None  # type: ignore[assignment,misc]  # noqa: N806
        for tool in self.tools:
            if Toolkit is not None and isinstance(tool, Toolkit):
                names.add(tool.name)
                names.update(tool.get_functions())
            else:
                name = getattr(tool, "name", None) or getattr(tool, "__name__", None)
                if isinstance(name, str):
                    names.add(name)
        return sorted(names)

    def build_model(self, spec: Any):
        """A model with every setting the document holds (Agno's own from_dict keeps only id/provider)."""
        if not isinstance(spec, dict):
            return spec
        from agno.models.utils import get_model_from_dict

        for model in self.models:
            if all(getattr(model, key, None) == spec.get(key) for key in MODEL_IDENTITY if key in spec):
                return model
        identity = {k: spec[k] for k in MODEL_IDENTITY if k in spec}
        model_class = type(get_model_from_dict(identity))
        settings = {k: v for k, v in spec.items() if k not in MODEL_IDENTITY}
        try:
            return model_class(id=spec["id"], **settings)
        except TypeError as exc:
            raise HivePortalError(f"Model {spec.get('name')}:{spec['id']} does not take these settings: {exc}") from exc

    def _registry(self, document: dict, label: str):
        from agno.registry import Registry
        from agno.tools.toolkit import Toolkit

        models = [self.build_model(document[k]) for k in MODEL_KEYS if isinstance(document.get(k), dict)]
        toolkits = {t.name: t for t in self.tools if isinstance(t, Toolkit)}
        names = set()
        for tool in self.tools:
            if isinstance(tool, Toolkit):
                names.update(tool.get_functions())
            else:
                names.add(getattr(tool, "name", None) or getattr(tool, "__name__", None))
        functions = []
        for tool in document.get("tools", []):
            if tool["name"] in toolkits:  # a toolkit named as one tool: all its functions
                toolkit = toolkits[tool["name"]]
                functions.extend({**f.to_dict(), "toolkit": toolkit.name} for f in toolkit.get_functions().values())
            else:
                functions.append(tool)
        missing = [t["name"] for t in functions if t["name"] not in names]
        if missing:
            raise HivePortalError(
                f"{label} uses tool(s) {', '.join(missing)} that this runtime does not provide: "
                "pass the functions (or toolkits) in HivePortal(tools=[...])."
            )
        knowledge = []
        reference = document.get("knowledge")
        if isinstance(reference, dict):
            name = reference.get("name")
            binding = (document.get("metadata") or {}).get("hive", {}).get("knowledge")
            if name in self.knowledge:
                knowledge.append(self.knowledge[name])
            elif binding and binding.get("name") == name and self.http is not None:
                knowledge.append(HivePortalKnowledge.from_binding(binding, self.http))
            else:
                raise HivePortalError(f"{label} uses knowledge “{name}” that this runtime cannot resolve.")
        registry = Registry(models=models, tools=list(self.tools), knowledge=knowledge)
        return registry, functions, models

    def _after_load(self, component, document: dict, models: list) -> None:
        for key in SET_AFTER_LOAD:
            if isinstance(document.get(key), dict):
                setattr(component, key, self.build_model(document[key]))

    def build_agent(self, document: dict, *, standalone: bool = False):
        """An ``agno.agent.Agent`` from an agent document (``standalone``: not as a team member)."""
        from agno.agent import Agent
        from agno.exceptions import ComponentRehydrationError

        document = copy.deepcopy(document)
        label = f"Agent “{document.get('id')}”"
        registry, functions, models = self._registry(document, label)
        if functions:
            document["tools"] = functions
        try:
            agent = Agent.from_dict(document, registry=registry, strict=True)
        except ComponentRehydrationError as exc:
            raise HivePortalError(f"{label}: {exc}") from exc
        self._after_load(agent, document, models)
        if self.reporter is not None:
            agent.post_hooks = [*(agent.post_hooks or []), self.reporter.agent_hook()]
            if standalone:  # a team member's failures are reported by its team (from_dict copies members)
                self.reporter.report_errors(agent)
        return agent

    def build_team(self, document: dict):
        """An ``agno.team.Team`` from a team document with its members' documents inline."""
        from agno.exceptions import ComponentRehydrationError
        from agno.team import Team, TeamMode

        document = copy.deepcopy(document)
        label = f"Team “{document.get('id')}”"
        TeamMode(document["mode"])  # Agno silently accepts an unknown mode string
        components = document["metadata"]["hive"].get("components", {}).get("agents", {})
        members = [
            self.build_agent(components[m["agent_id"]])
            for m in document.get("members", [])
            if m["agent_id"] in components
        ]
        registry, functions, models = self._registry(document, label)
        if functions:  # the leader's own tools, toolkits expanded as for an agent
            document["tools"] = functions
        registry.agents.extend(members)
        try:
            team = Team.from_dict(document, registry=registry, strict=True)
        except ComponentRehydrationError as exc:
            raise HivePortalError(f"{label}: {exc}") from exc
        self._after_load(team, document, models)
        if self.reporter is not None:
            team.post_hooks = [*(team.post_hooks or []), self.reporter.team_hook()]
            self.reporter.report_errors(team)
        return team
