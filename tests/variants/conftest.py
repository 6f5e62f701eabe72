from tests.variants.scaffold import agent, base, branch, external, stranger, viewer

__all__ = ["agent", "base", "branch", "external", "stranger", "viewer"]
