"""`parley` commands that talk to a running server through the SDK (deploy, chat, agent)."""
