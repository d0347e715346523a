"""Batch decisions for outbound campaigns: many customers decided concurrently through the same
graph and governance as ``POST /v1/decide``, resumable by run id."""

from agent.batch.run import BatchItem, BatchSummary, run_batch

__all__ = ["BatchItem", "BatchSummary", "run_batch"]
