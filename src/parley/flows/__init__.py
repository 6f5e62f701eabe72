"""Flows: named, branch-scoped conversation state machines, their steps and transition functions."""
