"""`uv run app.py` with no LINE credentials: one process with the bot, its worker and the sandbox; a follow
from the sandbox's simulated user comes back as a Thai greeting (in the call log and the chat feed)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.polling import wait_for

ROOT = Path(__file__).resolve().parent.parent


def free_port_pair() -> int:
    """A port p such that p and p + 1 (the sandbox's) are both free now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket() as neighbour:
            try:
                neighbour.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair")


def http_json(method: str, url: str, payload: dict | None = None):
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())



@pytest.fixture
def embedded_bot(tmp_path):
    port = free_port_pair()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_URL"))}
    env.update(PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}", PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if "chat with the bot at" in line:
                break
        assert any("chat with the bot at" in line for line in lines), lines
        yield port, lines
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_embedded_default_greets_a_follow_from_the_sandbox(embedded_bot):
    port, lines = embedded_bot
    sandbox = f"http://127.0.0.1:{port + 1}"
    assert f"http://127.0.0.1:{port + 1}/" in lines[-1]
    user = http_json("POST", f"{sandbox}/sandbox/users", {"displayName": "น้องฟ้า"})
    answer = http_json("POST", f"{sandbox}/sandbox/users/{user['userId']}/follow", {})
    assert answer["status"] == 200

    messages = wait_for(lambda: http_json("GET", f"{sandbox}/sandbox/users/{user['userId']}/messages"))
    assert "ยินดีต้อนรับ" in messages[0]["text"]
    calls = http_json("GET", f"{sandbox}/sandbox/calls")
    assert [call["status"] for call in calls if call["path"] == "/v2/bot/message/reply"] == [200]
    feed = http_json("GET", f"{sandbox}/sandbox/chat/{user['userId']}")
    assert "ยินดีต้อนรับ" in json.dumps(feed, ensure_ascii=False)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        assert json.loads(response.read())["status"] == "ok"
