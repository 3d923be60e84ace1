"""``HivePortalKnowledge``: Agno 3's ``KnowledgeProtocol`` over the portal's ``POST /api/v1/knowledge/search``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

# Filters the portal's search understands; an agent's binding may narrow them further.
SEARCHABLE_FILTERS = ("business_unit", "category")


class HivePortalKnowledge:
    """Searches the portal's knowledge base, within the agent's business unit.

    Agno uses ``retrieve`` for its ``search_knowledge_base`` tool (``search_knowledge=True``) and for
    ``add_knowledge_to_context``; ``get_tools`` offers the same search as a tool for code that asks the
    knowledge itself. The binding's business unit is always applied: agentic filters (Agno's
    ``enable_agentic_knowledge_filters``) may narrow a search (e.g. by category), never widen it.
    """

    def __init__(
        self,
        *,
        name: str,
        http: httpx.Client,
        business_unit: str | None = None,
        category: str | None = None,
        max_results: int = 5,
        max_distance: float | None = None,
        valid_metadata_filters: list[str] | None = None,
    ):
        self.name = name
        self.http = http
        self.business_unit = business_unit
        self.category = category
        self.max_results = int(max_results or 5)
        self.max_distance = max_distance
        allowed = valid_metadata_filters or list(SEARCHABLE_FILTERS)
        self.valid_metadata_filters = [f for f in allowed if f in SEARCHABLE_FILTERS]

    @classmethod
    def from_binding(cls, binding: dict, http: httpx.Client) -> HivePortalKnowledge:
        return cls(
            name=binding["name"],
            http=http,
            business_unit=binding.get("business_unit"),
            category=binding.get("category"),
            max_results=binding.get("max_results") or 5,
            max_distance=binding.get("max_distance"),
            valid_metadata_filters=binding.get("valid_metadata_filters"),
        )

    # --- KnowledgeProtocol ---------------------------------------------------------------------------

    def build_context(self, **kwargs: Any) -> str:
        where = f" of the {self.business_unit} business unit" if self.business_unit else ""
        text = f"Search the knowledge base{where} with search_knowledge_base before answering factual questions."
        if kwargs.get("enable_agentic_filters") and self.valid_metadata_filters:
            text += f" You may filter by: {', '.join(self.valid_metadata_filters)}."
        return text

    def get_tools(self, **kwargs: Any) -> list[Callable]:
        return [self.search_knowledge_base]

    async def aget_tools(self, **kwargs: Any) -> list[Callable]:
        return [self.search_knowledge_base]

    def retrieve(self, query: str, max_results: int | None = None, filters: Any = None, **kwargs: Any) -> list:
        from agno.knowledge.document import Document

        return [
            Document(
                content=f"{r['question']}\n{r['answer']}",
                id=r["id"],
                name=r["question"],
                meta_data={k: r[k] for k in ("business_unit", "category", "subcategory", "distance")},
            )
            for r in self.search(query, max_results=max_results, filters=filters)
        ]

    async def aretrieve(self, query: str, max_results: int | None = None, filters: Any = None, **kwargs: Any) -> list:
        return self.retrieve(query, max_results=max_results, filters=filters)

    def validate_filters(self, filters: Any, **kwargs: Any) -> tuple[dict, list]:
        """Agno's hook for agentic filters: keep the keys this knowledge can search by."""
        if not isinstance(filters, dict):
            return {}, []
        valid = {k: v for k, v in filters.items() if k in self.valid_metadata_filters}
        return valid, [k for k in filters if k not in valid]

    # --- The search ----------------------------------------------------------------------------------

    def search_knowledge_base(self, query: str) -> str:
        """Search the knowledge base for answers to the customer's question."""
        results = self.search(query)
        if not results:
            return "No relevant entries found."
        return "\n\n".join(f"Q: {r['question']}\nA: {r['answer']}" for r in results)

    def search(self, query: str, *, max_results: int | None = None, filters: Any = None) -> list[dict]:
        body: dict[str, Any] = {"query": query, "limit": min(int(max_results or self.max_results), 50)}
        if isinstance(filters, dict):
            for key in self.valid_metadata_filters:
                if filters.get(key):
                    body[key] = str(filters[key])
        if self.category:
            body["category"] = self.category
        if self.business_unit:
            body["business_unit"] = self.business_unit  # the binding wins: a filter cannot widen it
        if self.max_distance is not None:
            body["max_distance"] = self.max_distance
        response = self.http.post("/api/v1/knowledge/search", json=body)
        response.raise_for_status()
        return response.json()["results"]
