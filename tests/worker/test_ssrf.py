"""The SSRF guard: a corpus of blocked callback URLs never gets a connection; literal ones not even a create."""

import httpx
import pytest
from litestar import Litestar

from service.app import create_app
from service.clock import SystemClock
from service.domain import addresses
from service.domain.models import Decision, NewInterrupt
from service.store.deliveries import DeliveryStore
from service.store.interrupts import InterruptStore
from tests.asgi import local_client
from tests.clients import blocking_client
from tests.conftest import settings_for
from worker.delivery import Deliverer

LITERAL = [
    "http://127.0.0.1/hook",
    "http://127.1/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://0177.0.0.1/hook",
    "http://017700000001/hook",
    "http://0x7f.0.0.1/hook",
    "http://0/hook",
    "http://0.0.0.0:8080/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:7f00:1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "http://10.0.0.1/hook",
    "http://172.16.5.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://224.0.0.1/hook",
    "http://[ff02::1]/hook",
    "http://100.64.0.1/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook",
    "http://[2002:7f00:1::]/hook",
    "http://[::127.0.0.1]/hook",  # IPv4-compatible
    "http://[::ffff:0:7f00:1]/hook",  # IPv4-translated (SIIT)
    "http://[64:ff9b:1::7f00:1]/hook",  # local-use NAT64, /96 layout
    "http://[64:ff9b:1:7f00:0:100::]/hook",  # local-use NAT64, /48 layout (127.0.0.1)
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",  # Teredo
    "http://255.255.255.255/hook",
    "http://198.18.0.1/hook",
    "https://192.0.2.1/hook",
    "https://127.0.0.1:443/hook",
]
NAMES = {  # resolved at delivery time (by the test's resolver): each name hides a blocked address
    "http://localhost/hook": ["127.0.0.1"],
    "http://metadata.google.internal/computeMetadata/v1/": ["169.254.169.254"],
    "http://rebind.test/hook": ["10.1.2.3"],
    "http://mixed.test/hook": ["93.184.216.34", "10.0.0.1"],
    "https://v6.test/hook": ["::1"],
    "http://mapped.test/hook": ["::ffff:10.0.0.1"],
}
PUBLIC = {"http://public.test:8080/hook?x=1": ["93.184.216.34"], "http://nat64.test/hook": ["64:ff9b::808:808"],
          "http://translated.test/hook": ["::ffff:0:808:808"]}  # fmt: skip


class NoRetries:
    """A job queue that must not be used: every blocked attempt fails for good."""

    async def schedule_delivery(
        self, subject_id: str, version: int, attempt: int, delay_s: float, *, kind: str = "interrupt"
    ) -> None:
        raise AssertionError(f"a retry was scheduled for {subject_id}")

    async def schedule_invite(
        self, subject_id: str, index: int, attempt: int, delay_s: float, *, kind: str = "loop", reminder: int = 0
    ) -> None:
        raise AssertionError(f"a mail was scheduled for {subject_id}")

    async def schedule_slack(self, interrupt_id: str, step: str, attempt: int, delay_s: float) -> None:
        raise AssertionError(f"a Slack message was scheduled for {interrupt_id}")


async def fake_resolve(host: str, port: int) -> list[str]:
    for url, found in (NAMES | PUBLIC).items():
        if addresses.host_of(url) == host:
            return found
    raise OSError(f"unknown host {host}")


@pytest.mark.parametrize("url", LITERAL)
def test_literal_blocked_addresses_are_refused(url: str) -> None:
    assert addresses.literal_refusal(url, ()) is not None


@pytest.mark.parametrize("url", ["https://example.com/hook", "http://93.184.216.34/x", "http://[2606:4700::1]/x"])
def test_public_addresses_and_names_pass_the_literal_check(url: str) -> None:
    assert addresses.literal_refusal(url, ()) is None


def test_allow_list_opens_exactly_its_ranges() -> None:
    allowed = addresses.parse_networks(["127.0.0.0/8"])
    assert addresses.literal_refusal("http://127.0.0.1:9000/x", allowed) is None
    assert addresses.literal_refusal("http://[::ffff:127.0.0.1]/x", allowed) is None
    assert addresses.literal_refusal("http://10.0.0.1/x", allowed) is not None


@pytest.mark.timeout(30)
async def test_create_refuses_literal_blocked_callbacks(redis_url: str) -> None:
    app: Litestar = create_app(settings_for(redis_url))
    async with local_client(app) as api:
        body = {"agentId": "a", "userId": "ssrf-user", "action": "x", "context": {}}
        for url in LITERAL:
            answer = await api.post("/interrupts", json=body | {"callbackUrl": url})
            assert answer.status_code == 400, url
            assert answer.json()["error"].startswith("callbackUrl is not allowed: "), url
        for url in NAMES:  # names are checked when the webhook is sent
            assert (await api.post("/interrupts", json=body | {"callbackUrl": url})).status_code == 201


@pytest.mark.timeout(60)
async def test_no_connection_is_ever_made_to_a_blocked_address(worker_url: str) -> None:
    seen: list[httpx.Request] = []

    def transport(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204, stream=httpx.ByteStream(b""))  # streamed, as from the network

    redis = blocking_client(worker_url)
    clock = SystemClock()
    interrupts = InterruptStore(redis, clock, retention_ms=60_000)
    deliveries = DeliveryStore(redis, retention_ms=60_000)
    async with httpx.MockTransport(transport) as mock:
        deliverer = Deliverer(
            deliveries=deliveries,
            queue=NoRetries(),
            transport=mock,
            secrets=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            allowed=(),
            clock=clock,
            resolver=fake_resolve,
        )
        outcomes = {}
        for url in [*LITERAL, *NAMES, *PUBLIC]:
            new = NewInterrupt(
                agent_id="a",
                user_id="u",
                action="x",
                context="{}",
                urgency="low",
                expires_in_ms=60_000,
                callback_url=url,
            )
            created = await interrupts.create(new)
            done = await interrupts.decide(created.id, Decision(decision="approved"))
            outcomes[url] = await deliverer.attempt(created.id, done.version, 1, manual=False)
    await redis.aclose()
    assert len(LITERAL) + len(NAMES) >= 30
    for url in [*LITERAL, *NAMES]:
        attempt = outcomes[url]
        assert attempt is not None
        assert (attempt.state, attempt.status_code) == ("failed", None), url
        assert (attempt.error or "").startswith("blocked: "), url
    # the only connection made is the public one, to the address that was checked, with the original Host
    assert [(r.url.host, r.url.port, r.url.path, r.headers["host"]) for r in seen] == [
        ("93.184.216.34", 8080, "/hook", "public.test:8080"),
        ("64:ff9b::808:808", None, "/hook", "nat64.test"),  # public addresses in IPv6 clothing pass
        ("::ffff:0:808:808", None, "/hook", "translated.test"),
    ]
    assert outcomes["http://public.test:8080/hook?x=1"].state == "delivered"  # type: ignore[union-attr]
