"""The reviewer's pages: GET /review/{id} and its form POST /review/{id}/decide (CSRF-protected, no API key).

The page's live feed, `/review/{id}/events`, is the API's interrupt stream without a key
(service/api/interrupts.py).
"""

import contextlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.types import ASGIApp

from service import answers
from service.asgi.replies import HTML, Reply, read_body
from service.clock import iso_ms, utc_text
from service.domain import answers as domain_answers
from service.domain import jsontext, machine
from service.domain.errors import AlreadyDecided, InterruptNotFound, InvalidField, InvalidResponse, MalformedJson
from service.domain.models import Actor, Decision, HistoryEvent, Interrupt
from service.services import Services, services
from service.web import answer_form, pages, timeline
from service.web.csrf import is_cross_site
from service.web.pages import html, message_page

Req = Request[Any, Any, Any]
MAX_FORM_BYTES = 64 * 1024
_encoder = msgspec.json.Encoder()
VIEW_ONLY = "This page shows the request to the agent. Reviewers decide through their own signed link."
ANSWER_ERROR = "Some answers need another look (see below)."
STATUS_TEXT = {"approved": "Approved", "rejected": "Rejected", "expired": "Expired", "cancelled": "Cancelled"}


def review_view(record: Interrupt, now_ms: int) -> dict[str, Any]:
    """What the review template shows of an interrupt as it reads at `now_ms` (its top-level variables)."""
    record = record.at(now_ms)
    status = record.status_at(now_ms)
    return {
        "id": record.id,
        "action": record.action,
        "urgency": record.urgency,
        "agent": record.agent_id,
        "user": record.user_id,
        "created_iso": iso_ms(record.created_at),
        "created_text": utc_text(record.created_at),
        "expires_iso": iso_ms(record.expires_at),
        "expires_text": utc_text(record.expires_at),
        "final": status != machine.PENDING,
        "status": status,
        "status_text": STATUS_TEXT.get(status, status),
        "decided_iso": iso_ms(record.decided_at) if record.decided_at else "",
        "decided_text": utc_text(record.decided_at) if record.decided_at else "",
        "outcome_reason": record.reason,
        "decided_by": record.decided_by,
        "context_pretty": pretty_json(record.context),
        **answer_view(record),
    }


def answer_view(record: Interrupt) -> dict[str, Any]:
    """The recorded typed answer, once decided with one, as (label, text) lines."""
    if record.response_schema is None or record.response is None:
        return {"answer_shown": []}
    return {"answer_shown": domain_answers.shown(answers.form(record.response_schema), record.response)}


def pretty_json(text: str) -> str:
    """JSON text indented by two spaces, every value exactly as stored (jsontext.pretty)."""
    return jsontext.pretty(text)


OPEN_LINK = Actor(by="link", via="review-page")  # who decides through an open (LoopIn) review link


async def _review_page(
    svc: Services,
    record: Interrupt,
    link: dict[str, str],
    can_decide: bool,
    status: int = 200,
    events: list[HistoryEvent] | None = None,
    **form: Any,
) -> Reply:
    values = {"error": None, "reason": None, "params": None, "params_open": False} | form
    sent, errors = values.pop("answer_values", None), values.pop("answer_errors", {})
    schema = record.response_schema
    values["answer_form"] = answer_form.inputs(schema, sent, errors) if schema is not None and can_decide else ""
    if events is None:
        events = (await svc.history.read_for_page(record.id))[1]
    values["history"] = timeline.lines(events)
    csrf = await svc.signer.token(f"review:{record.id}")
    view = review_view(record, svc.clock.now_ms())  # top-level names: Jinja looks each up once, not per use
    body = pages.render("review.html", title=record.action, csrf=csrf, link=link, reviewer=link.get("reviewer"),
                        can_decide=can_decide, **view, **values)  # fmt: skip
    return html(body, status)


async def decider(svc: Services, interrupt_id: str, link: dict[str, str]) -> tuple[Actor | None, str | None]:
    """(who may decide from this page, why the link is refused): a signed link's reviewer, or `link` when open."""
    grant, problem = await svc.links.check(interrupt_id, link.get("reviewer"), link.get("token"), svc.clock.now_ms())
    if problem or grant:
        return grant, problem
    return (None if svc.settings.signed_links else OPEN_LINK), None


def _link_of(values: Mapping[str, str]) -> dict[str, str]:
    """The signed-link fields (`reviewer`, `token`) of a query or form, when present."""
    return {k: values[k] for k in ("reviewer", "token") if values.get(k)}


def _refused_link_page(problem: str) -> Reply:
    return message_page("Review link refused", problem, 403)


async def _found(svc: Services, interrupt_id: str) -> Interrupt | None:
    """The interrupt, or None when the link is unknown or past retention."""
    try:
        return await svc.interrupts.get(interrupt_id)
    except InterruptNotFound:
        return None


def _not_found_page() -> Reply:
    return message_page("Interrupt not found", "This link is unknown or has expired.", 404)


def _edited_params(text: str, context: str) -> tuple[str | None, str | None]:
    """(modifiedParams JSON, error): None when the reviewer left the parameters as they were."""
    if not text.strip():
        return None, None
    try:
        jsontext.check(text.encode("utf-8", "replace"), "The edited parameters")
        edited = json.loads(text)
    except (InvalidField, MalformedJson) as exc:
        return None, f"{exc.message}."
    except json.JSONDecodeError as exc:
        return None, f"The edited parameters are not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
    if not isinstance(edited, dict):
        return None, "The edited parameters must be a JSON object, like the request's context."
    if edited == json.loads(context):
        return None, None
    return msgspec.json.format(text, indent=0), None  # the reviewer's values as typed (numbers verbatim), compact


def _answered(record: Interrupt, chosen: Decision, sent: Mapping[str, list[str]]) -> tuple[Decision, dict[str, str]]:
    """The decision with the form's typed answer, checked (an approval's), and what is wrong with it, by field."""
    if record.response_schema is None:
        return chosen, {}
    form = answers.form(record.response_schema)
    answer, problems = domain_answers.from_form(form, sent)
    if chosen.decision != machine.APPROVED:
        problems = {}  # a rejection carries no answer: what the inputs hold is not read
    else:
        chosen = msgspec.structs.replace(chosen, response=_encoder.encode(answer).decode())
    try:
        return answers.checked_decision(record.response_schema, chosen), problems
    except InvalidResponse as exc:  # the first violation of each field is shown next to it ("" : the whole answer)
        found = {v.get("field", ""): _sentence(v["message"]) for v in reversed(exc.violations)}
        return chosen, found | problems


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def sent_answers(sent: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The answer inputs of a submitted form by field name, to show them again as they were typed."""
    prefix = domain_answers.PREFIX
    return {name.removeprefix(prefix): values for name, values in sent.items() if name.startswith(prefix)}


class ReviewController(Controller):
    """/review: one page per interrupt, usable without JavaScript and with auth on."""

    path = "/review"
    include_in_schema = False

    @get("/{interrupt_id:str}")
    async def page(self, request: Req, interrupt_id: FromPath[str]) -> ASGIApp:
        """The interrupt, its context, and (while pending, for whoever may decide) the decision form."""
        svc = services(request)
        try:
            record, events = await svc.history.read_for_page(interrupt_id)
        except InterruptNotFound:
            return _not_found_page()
        link = _link_of(request.query_params) if request.scope["query_string"] else {}
        actor, problem = await decider(svc, record.id, link)
        if problem:
            return _refused_link_page(problem)
        return await _review_page(svc, record, link, actor is not None, events=events)

    @post("/{interrupt_id:str}/decide", status_code=303)
    async def decide(self, request: Req, interrupt_id: FromPath[str]) -> ASGIApp:
        """The form's POST: check origin and token, decide, then show the page again (303)."""
        svc = services(request)
        record = await _found(svc, interrupt_id)
        if record is None:
            return _not_found_page()
        sent = parse_qs((await read_body(request))[:MAX_FORM_BYTES].decode(errors="replace"))
        form = {k: v[0] for k, v in sent.items()}
        if is_cross_site(request) or not await svc.signer.is_valid(f"review:{record.id}", form.get("csrf")):
            return message_page("Not allowed", "This form was not sent from its own page. Reload it and retry.", 403)
        link = _link_of(form)
        actor, problem = await decider(svc, record.id, link)
        if problem:
            return _refused_link_page(problem)
        if actor is None:
            return message_page("Not allowed", VIEW_ONLY, 403)
        decision, reason = form.get("decision"), (form.get("reason") or "").strip() or None
        params, error = _edited_params(form.get("modifiedParams", ""), record.context)
        if decision not in machine.DECISIONS:
            error = "Choose Approve or Reject."
        if decision == "rejected":
            params = None  # edits only mean something for an approval
        chosen = Decision(decision=decision or "", reason=reason, modified_params=params, actor=actor)
        chosen, answer_errors = _answered(record, chosen, sent) if not error else (chosen, {})
        if error or answer_errors:
            return await _review_page(svc, record, link, True, 400, error=error or ANSWER_ERROR, reason=reason,
                                      params=form.get("modifiedParams"), params_open=params is not None or bool(error),
                                      answer_values=sent_answers(sent), answer_errors=answer_errors)  # fmt: skip
        with contextlib.suppress(AlreadyDecided):  # decided elsewhere first: the page shows what won
            await svc.interrupts.decide(record.id, chosen)
        return Reply(b"", 303, HTML, {"Location": f"/review/{record.id}"}, pages.ENCODED_HEADERS)


@get("/robots.txt", include_in_schema=False, media_type="text/plain")
async def robots() -> str:
    """Keep crawlers off the pages (they are also `noindex`)."""
    return pages.ROBOTS
