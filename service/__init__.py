"""Interlock: a self-hosted human-in-the-loop service for AI agents."""
