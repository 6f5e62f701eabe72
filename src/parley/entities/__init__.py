"""Entities: typed values that flow steps extract from what the caller says."""
