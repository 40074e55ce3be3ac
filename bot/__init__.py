"""opsbot: the Slack app, its settings, middleware and runtime."""
