"""SMS: sending through a provider, the outbox log, opt-outs, the outbound endpoint (docs/sms.md)."""
