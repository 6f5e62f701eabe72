"""Model providers: how the agent decides what to say and which tools to call."""
