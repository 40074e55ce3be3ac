"""Capabilities, one package each: listeners (Slack), service (logic), blocks (Block Kit)."""
