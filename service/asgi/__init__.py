"""The HTTP plumbing below the routes of api/ (JSON) and web/ (pages): replies, refusals, event streams."""
