"""Variants and their attributes (branch-scoped, per the Agents API spec), with CSV import/export."""
