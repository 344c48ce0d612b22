"""Signals studied on held-out folds and not (yet) shipped, kept so that every row of docs/evaluation.md can be
re-run by command. Each module subclasses the retriever (or swaps the embedder) and runs `bench.tune` with its
own signals: `python -m bench.experiments.<name> --index … --dataset … --signals …`. Nothing here is imported
by the product.
"""
