"""OpenTelemetry traces: a span per decision (``nextbest.decide``) with a child span per graph
step (``nextbest.load_context``, ``nextbest.retrieve``, ...), each carrying the decision id.

Spans are made through the OpenTelemetry API, which does nothing until a tracer provider is
set: :func:`configure_tracing` sets one that sends them, batched, to an OTLP/HTTP collector
(``NEXTBEST_OTEL_ENDPOINT``, e.g. ``http://127.0.0.1:4318``; spans go to ``/v1/traces``).
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

__all__ = ["DECISION_ID", "configure_tracing", "shutdown_tracing", "tracer"]

DECISION_ID = "nextbest.decision_id"
"""The span attribute that names the decision."""

tracer = trace.get_tracer("nextbest")

_provider: TracerProvider | None = None


def configure_tracing(endpoint: str, *, service_name: str = "nextbest") -> None:
    """Send spans to the OTLP/HTTP collector at ``endpoint`` (once per process)."""
    global _provider
    if _provider is not None:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _provider = provider


def shutdown_tracing() -> None:
    """Send what is still batched (as the server stops)."""
    if _provider is not None:
        _provider.shutdown()
