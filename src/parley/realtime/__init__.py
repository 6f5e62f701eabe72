"""Real-time configs: per-environment JSON Schema + values, read by the runtime at once."""
