"""Users, API keys, principals and permissions."""
