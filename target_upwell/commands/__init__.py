"""The helper commands: check, preview, replay, and the Hub definition."""
