"""Handoffs: where and how a call is transferred to a human (SIP refer/invite) or ended (bye)."""
