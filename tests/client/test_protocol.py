"""The client's rules without a server: event parsing, backoff, refusals, wait deadlines, the decorator's edits."""

import inspect

import pytest

from interlock_client import BadRequest, Conflict, Decision, Expired, NotFound, Rejected, Unavailable, WaitTimeout
from interlock_client.decorator import approved
from interlock_client.errors import ApiError, InterlockError, NotApproved
from interlock_client.protocol import (
    Backoff,
    Event,
    SseParser,
    StreamEnded,
    Waiting,
    cancel,
    connection,
    create,
    create_loop,
    is_retryable,
    refusal,
)


def events(text: str) -> list[Event]:
    parser = SseParser()
    return [e for line in text.split("\n") if (e := parser.feed(line.rstrip("\r"))) is not None]


def test_the_event_parser_follows_the_sse_rules() -> None:
    stream = ': ping\r\nretry: 3000\r\n\r\nid: 1\r\nevent: pending\r\ndata: {"a":\r\ndata: 1}\r\n\r\n'
    stream += ": ping\r\n\r\nid: 2\r\ndata:x\r\n\r\n"
    assert events(stream) == [Event("1", "pending", '{"a":\n1}'), Event("2", "message", "x")]  # the id carries on


def test_backoff_doubles_with_jitter_up_to_its_cap_then_gives_up_after_its_budget() -> None:
    now = [0.0]
    backoff = Backoff(10, clock=lambda: now[0], rng=lambda: 1.0)
    assert [backoff.delay(OSError()) for _ in range(9)] == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
    assert backoff.delay(OSError(), 7.0) == 7.0  # a Retry-After longer than the step wins
    assert backoff.delay(OSError(), 3600.0) == 10.0  # but never beyond the budget
    now[0] = 10.0
    with pytest.raises(Unavailable, match="did not answer for 10 s"):
        backoff.delay(OSError("refused"))
    backoff.reset()
    assert backoff.delay(OSError()) == 0.05


@pytest.mark.parametrize(
    ("status", "body", "kind", "detail"),
    [(404, b'{"error":"Interrupt not found"}', NotFound, "Interrupt not found"),
     (400, b'{"detail":"urgency must be low, medium, or high","field":"urgency"}', BadRequest, "urgency must be"),
     (422, b"{}", BadRequest, "HTTP 422"),
     (409, b'{"error":"Interrupt is already approved"}', Conflict, "Interrupt is already"),
     (500, b"<html>", ApiError, "HTTP 500"), (503, b"[1]", ApiError, "HTTP 503")],
)  # fmt: skip
def test_a_refusal_is_the_typed_error_of_its_status(status: int, body: bytes, kind: type, detail: str) -> None:
    error = refusal(status, body, "2")
    assert type(error) is kind and error.status == status and error.detail.startswith(detail)
    assert error.retry_after == 2.0


def test_only_restarts_rate_limits_and_ended_streams_are_retried() -> None:
    assert [is_retryable(refusal(s, b"")) for s in (429, 502, 503, 504, 500, 400, 404, 409)] == [True] * 4 + [False] * 4
    assert is_retryable(StreamEnded())


def test_a_wait_times_out_on_its_own_clock_and_never_reads_past_it() -> None:
    now = [0.0]
    backoff = Backoff(60, clock=lambda: now[0])
    waiting: Waiting[None] = Waiting("i-1", ("/s", "/p"), lambda d: None, 5, backoff, lambda: now[0])
    assert waiting.read_timeout() == 5 and waiting.poll_seconds() == 5
    now[0] = 4.5
    assert waiting.read_timeout() == 0.5
    now[0] = 5.0
    with pytest.raises(WaitTimeout) as timed_out:
        waiting.failed(OSError())
    assert timed_out.value.subject_id == "i-1" and isinstance(timed_out.value, TimeoutError)


def test_a_resumed_stream_sends_the_last_event_id_it_saw() -> None:
    waiting: Waiting[str] = Waiting("i", ("/s", "/p"), lambda d: d.get("status"), None, Backoff(1))
    assert "Last-Event-ID" not in waiting.stream_headers()
    assert waiting.on_event(Event("3", "approved", '{"status": "approved"}')) == "approved"
    assert waiting.stream_headers()["Last-Event-ID"] == "3"


def test_each_create_has_its_own_idempotency_key_unless_given() -> None:
    args = {"context": {}, "user_id": "u", "agent_id": "a", "urgency": "low", "expires_in": 60, "callback_url": None,
            "reviewers": None}  # fmt: skip
    first, second = create("x", idempotency_key=None, **args), create("x", idempotency_key=None, **args)  # type: ignore[arg-type]
    assert first.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]
    assert create("x", idempotency_key="k-1", **args).headers["Idempotency-Key"] == "k-1"  # type: ignore[arg-type]
    wanted = {"agentId": "a", "userId": "u", "action": "x", "context": {}, "urgency": "low", "expiresIn": 60}
    assert first.body == wanted


def test_the_optional_asks_are_sent_in_the_apis_names_and_only_when_given() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    call = create("x", context={}, user_id="u", agent_id="a", on_timeout="rejected", response_schema=schema,
                  remind_every=600, escalate_after=1200, escalate_to=["lead@example.com"])  # fmt: skip
    assert call.body is not None
    assert {k: call.body[k] for k in ("onTimeout", "responseSchema", "remindEvery", "escalateAfter", "escalateTo")} == {
        "onTimeout": "rejected", "responseSchema": schema, "remindEvery": 600, "escalateAfter": 1200,
        "escalateTo": ["lead@example.com"]}  # fmt: skip


def test_a_retried_cancel_told_it_is_cancelled_succeeded() -> None:
    done_if = cancel("i").done_if
    assert done_if is not None
    assert done_if(refusal(409, b'{"error":"Cannot cancel an interrupt with status: cancelled"}'))
    assert not done_if(refusal(409, b'{"error":"Cannot cancel an interrupt with status: approved"}'))


def test_loop_policies_and_timeouts_are_sent_as_the_api_takes_them() -> None:
    made = create_loop("n", "d", participants=["a@x.io"], policy="quorum", quorum=1, participant_timeout=1.5,
                       callback_url=None, idempotency_key=None)  # fmt: skip
    assert made.body is not None and made.body["policy"] == {"quorum": 1} and made.body["participant_timeout"] == 1500
    with pytest.raises(ValueError, match="policy"):
        create_loop("n", "d", participants=[], policy="most", quorum=None, participant_timeout=1, callback_url=None,
                    idempotency_key=None)  # fmt: skip


def test_the_connection_defaults_to_the_environment() -> None:
    base, headers = connection(None, None, {"LOOPIN_API_URL": "http://api:9/", "LOOPIN_API_KEY": "k"})
    assert base == "http://api:9" and headers["X-API-Key"] == "k"
    assert connection(None, None, {})[0] == "http://localhost:3002" and "X-API-Key" not in connection(None, None, {})[1]


def decision(status: str, edits: dict[str, object] | None = None) -> Decision:
    return Decision(id="i", status=status, decision=status if status in ("approved", "rejected") else None,
                    reason="no", modified_params=edits, decided_by="ann", review_url="u", decided_at=None)  # fmt: skip


def pay(invoice: str, amount: float, note: object = None, **extra: object) -> None:
    """A guarded function's signature."""


def test_edits_apply_over_the_arguments_and_unchanged_reprs_keep_the_original_object() -> None:
    marker = object()
    bound = inspect.signature(pay).bind("INV-1", 10.0, marker)
    sent = {"invoice": "INV-1", "amount": 10.0, "note": repr(marker), "extra": {}}
    edited = approved(decision("approved", {"amount": 8, "note": repr(marker), "memo": "half"}), bound, sent)
    assert edited.arguments["amount"] == 8 and edited.arguments["note"] is marker
    assert edited.kwargs["memo"] == "half"  # through **extra


def test_an_edit_to_an_unknown_parameter_is_refused() -> None:
    def scale(replicas: int) -> None:
        """No **kwargs."""

    with pytest.raises(InterlockError, match="'zone'"):
        approved(decision("approved", {"zone": "eu"}), inspect.signature(scale).bind(1), {"replicas": 1})


@pytest.mark.parametrize(("status", "kind"), [("rejected", Rejected), ("expired", Expired)])
def test_anything_but_an_approval_raises(status: str, kind: type[NotApproved]) -> None:
    with pytest.raises(kind) as raised:
        approved(decision(status), inspect.signature(pay).bind("i", 1), {})
    assert raised.value.decision.status == status
