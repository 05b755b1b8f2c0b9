"""Waiting for changes: the hub (hub.py), what can be waited on (watched.py), the waits (streams.py), inboxes."""
