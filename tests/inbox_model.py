"""What a browser shows of an inbox, rebuilt from its feed's events the way `inbox.js` applies them."""

import re
from typing import Any

LINE = re.compile(r'<li data-id="([^"]+)">(.*?)</li>', re.S)


class InboxModel:
    """The head sentence and the lines (id, inner HTML) of one inbox, kept from its `inbox` events."""

    def __init__(self, page_html: str = "") -> None:
        self.count = 0
        self.head = ""
        self.lines: list[tuple[str, str]] = []
        self.events = 0
        if page_html:
            self._replace(page_html)

    def _replace(self, html: str) -> None:
        self.head = html.partition("<ul")[0]
        self.lines = LINE.findall(html)

    def apply(self, data: dict[str, Any]) -> None:
        """Take one event's data: the whole list, or its changes."""
        self.events += 1
        self.count = data["count"]
        if "html" in data:
            self._replace(data["html"])
            return
        self.head = data["head"]
        gone = set(data["remove"])
        self.lines = [line for line in self.lines if line[0] not in gone]
        for added in data["add"]:
            (line,) = LINE.findall(added["html"])
            ids = [i for i, _ in self.lines]
            at = ids.index(added["before"]) if added["before"] in ids else len(ids)
            self.lines.insert(at, line)

    @property
    def ids(self) -> list[str]:
        """The listed interrupt ids, top to bottom."""
        return [i for i, _ in self.lines]

    @property
    def text(self) -> str:
        """The head and every line, as one string."""
        return self.head + "".join(html for _, html in self.lines)
