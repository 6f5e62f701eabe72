"""Telephony: connectors (with their tokens) and the phone numbers routed to them."""
