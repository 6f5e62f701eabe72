"""The conversation runtime: everything that executes an agent, independent of HTTP."""
