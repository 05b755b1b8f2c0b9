"""Templates and static files of the review and confirm pages (rendered by service/web/pages.py)."""
