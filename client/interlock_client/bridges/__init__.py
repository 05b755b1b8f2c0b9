"""Bridges to agent frameworks, each in that framework's own human-in-the-loop idiom (optional extras).

`interlock-client[langgraph]`, `[pydantic-ai]`, `[openai-agents]`: a tool call that needs approval is
asked of a human through Interlock, and the run resumes with their decision.
"""
