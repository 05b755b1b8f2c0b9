"""Wire time format and the frozen clock."""

from service.clock import FrozenClock, SystemClock, iso_ms, utc_text


def test_iso_ms_has_millis_and_z() -> None:
    assert iso_ms(1_795_000_000_007) == "2026-11-18T11:06:40.007Z"
    assert iso_ms(0) == "1970-01-01T00:00:00.000Z"


def test_utc_text_shows_the_minute_it_falls_in() -> None:
    minute = 1_795_000_020_000  # 2026-11-18 11:07:00 UTC
    assert utc_text(minute) == "2026-11-18 11:07 UTC"
    assert utc_text(minute + 59_999) == "2026-11-18 11:07 UTC"  # never rounded up
    assert utc_text(minute - 1) == "2026-11-18 11:06 UTC"


def test_frozen_clock_moves_only_when_told() -> None:
    clock = FrozenClock(1000)
    assert clock.now_ms() == 1000
    clock.advance(5)
    assert clock.now_ms() == 1005


def test_frozen_clock_starts_near_real_time() -> None:
    assert abs(FrozenClock().now_ms() - SystemClock().now_ms()) < 60_000
