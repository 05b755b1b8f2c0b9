"""The page a loop participant's link opens: what the loop asks, and a button that answers (opening decides nothing)."""

from service.asgi.replies import Reply
from service.clock import iso_ms, utc_text
from service.domain import loops
from service.domain.loops import Loop
from service.web import pages


def confirm_page(loop: Loop, index: int, accept: str | None) -> Reply:
    """The confirmation page: the click decides nothing until its button POSTs."""
    participant = loop.participants[index]
    page = pages.render(
        "confirm.html",
        title=loop.name,
        loop=loop,
        participant=participant,
        wants="accept" if (accept or "").lower() == "true" else "reject",
        open=loop.status == loops.PENDING and participant.state == loops.PENDING,
        deadline_iso=iso_ms(loop.deadline),
        deadline_text=utc_text(loop.deadline),
    )
    return pages.html(page)
