"""The retrieval core, shared by the service (app/), the CLI and the benchmarks (bench/).

- `bundle.IndexBundle`: everything loaded from one built index directory;
- `retriever.HybridRetriever`: BM25 and dense candidates per article, fused (`fusion`), filtered by version/law;
- `engine.Engine`: explicit citations first, then fused retrieval, law-mention boost and 위임 expansion;
- `results`: the typed hits and citations it returns (also the service's JSON);
- `langchain.StatuteRetriever`: the engine behind LangChain's BaseRetriever.
"""
