"""Shared plumbing used by every feature slice."""
