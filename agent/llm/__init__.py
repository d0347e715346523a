"""The LLM client: OpenAI-compatible chat completions with retries, a deadline and a breaker."""

from agent.llm.breaker import BreakerState, CircuitBreaker
from agent.llm.client import LLMClient
from agent.llm.errors import LLMError, LLMErrorCode
from agent.llm.models import ChatResult, LLMCallTrace, LLMUsage, ToolCallOut, prompt_version

__all__ = [
    "BreakerState",
    "ChatResult",
    "CircuitBreaker",
    "LLMCallTrace",
    "LLMClient",
    "LLMError",
    "LLMErrorCode",
    "LLMUsage",
    "ToolCallOut",
    "prompt_version",
]
