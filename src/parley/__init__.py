"""parley: a self-hostable conversational-agent platform with a PolyAI-compatible API."""

__version__ = "0.1.0"
