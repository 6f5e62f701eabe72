"""SMS templates: texts the agent sends with ``conv.send_sms_template`` or ``{{twilio_sms:name}}``."""
