"""Structured logs: with INTERLOCK_LOG_FORMAT=json every line of every process is one JSON object."""

import json
import logging
import sys
from pathlib import Path

import httpx
import pytest

from service.logs import JsonFormatter, TextFormatter
from tests.processes import ServeProcess


def test_a_record_becomes_one_line_of_json_with_its_extra_fields() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("interlock.x", logging.ERROR, "f.py", 1, "failed %s", ("job-7",), sys.exc_info())
    record.interrupt_id = "abc"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    doc = json.loads(line)
    assert (doc["level"], doc["logger"], doc["msg"], doc["interrupt_id"]) == (
        "error",
        "interlock.x",
        "failed job-7",
        "abc",
    )
    assert doc["ts"].endswith("Z") and "ValueError: boom" in doc["exc"]


@pytest.mark.timeout(60)
def test_serve_and_its_worker_log_json_lines(redis_url: str, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    api = ServeProcess({"REDIS_URL": redis_url, "INTERLOCK_LOG_FORMAT": "json"}, args=(), log=log).wait_ready()
    try:
        body = {"agentId": "a", "userId": "log-user", "action": "x", "context": {}}
        assert httpx.post(f"{api.url}/interrupts", json=body, timeout=10).status_code == 201
    finally:
        assert api.stop() == 0
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    docs = [json.loads(line) for line in lines]  # raises on any line that is not JSON
    assert all({"ts", "level", "logger", "msg", "pid"} <= doc.keys() for doc in docs)
    loggers = {doc["logger"] for doc in docs}
    assert {"_granian", "worker.main", "service.servers"} <= loggers  # the server, the worker, our code


def test_text_logs_escape_control_characters() -> None:
    record = logging.LogRecord(
        "interlock", logging.WARNING, __file__, 1, "bad path %s", ("/x\nFAKE 2026 ERROR\x1b[31m",), None
    )
    line = TextFormatter().format(record)
    assert "\n" not in line and "\x1b" not in line
    assert line.endswith("bad path /x\\nFAKE 2026 ERROR\\x1b[31m")
