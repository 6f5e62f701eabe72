"""Webchat messaging: access tokens, sessions, and the event WebSocket (docs/webchat.md)."""
