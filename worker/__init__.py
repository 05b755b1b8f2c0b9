"""The Interlock background worker (arq): deadlines, webhooks and email."""
