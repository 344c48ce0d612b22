"""The engine as a LangChain BaseRetriever: hits become Documents with the article as metadata."""

from __future__ import annotations

from datetime import date
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from legal_rag.search.results import Hit


def hit_to_document(hit: Hit) -> Document:
    return Document(page_content=f"{hit.header}\n{hit.text}", metadata=hit.model_dump(exclude={"text"}))


class StatuteRetriever(BaseRetriever):
    """`Engine.search` (citations first, then hybrid retrieval) behind LangChain's retriever interface."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    engine: Any  # legal_rag.search.engine.Engine; typed loosely so pydantic does not try to validate it
    top_k: int = 8
    as_of: date | None = None
    laws: list[str] = []

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        result = self.engine.search(query, top_k=self.top_k, as_of=self.as_of, laws=self.laws)
        return [hit_to_document(h) for h in result.hits]
