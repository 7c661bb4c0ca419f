"""`python -m bot.sandbox` runs the sandbox on its own and prints where to find it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import requests


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_command_serves_the_api_and_prints_its_urls():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox", "--port", str(port), "--channel-secret", "s", "--access-token", "t",
         "--webhook-url", "http://127.0.0.1:9/callback"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        first_line = process.stdout.readline()
        quota = requests.get(f"http://127.0.0.1:{port}/v2/bot/message/quota",
                             headers={"Authorization": "Bearer t"}, timeout=5)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert f"http://127.0.0.1:{port}" in first_line
    assert quota.json() == {"type": "none"}
