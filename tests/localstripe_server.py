"""A real localstripe process on a free port, and a stdlib HTTP server on 127.0.0.1
keeping the signed webhooks it sends. Shared by the payments, vouchers, library
and browser tests."""

from __future__ import annotations

import json
import queue
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_localstripe(log_path: Path, attempts: int = 5) -> tuple[subprocess.Popen, str, object]:
    """A real localstripe on a free port (``--from-scratch``): (process, base URL, log file).

    localstripe listens on every interface ("::"): a port free on 127.0.0.1 may still be taken
    there by another process of the session, so a start that finds its port in use tries another."""
    for attempt in range(attempts):
        try:
            return _start_localstripe(log_path)
        except _PortTaken:
            if attempt == attempts - 1:
                raise RuntimeError(f"localstripe found its port in use {attempts} times (log: {log_path})") from None
    raise AssertionError("unreachable")  # pragma: no cover


class _PortTaken(Exception):
    pass


def _start_localstripe(log_path: Path) -> tuple[subprocess.Popen, str, object]:
    port = free_port()
    log = open(log_path, "wb")
    exe = Path(sys.executable).with_name("localstripe")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "localstripe"]
    process = subprocess.Popen([*command, "--port", str(port), "--from-scratch"], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            log.close()
            if b"Address already in use" in log_path.read_bytes():
                raise _PortTaken
            raise RuntimeError(f"localstripe exited with {process.returncode} (log: {log_path})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("localstripe did not start within 20 s") from None
            time.sleep(0.05)
    return process, f"http://127.0.0.1:{port}", log


def stop_localstripe(process: subprocess.Popen, log) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


class WebhookReceiver:
    """Collects the deliveries it receives; `wait_for` returns the first one matching."""

    def __init__(self):
        self.deliveries: queue.Queue[tuple[bytes, dict]] = queue.Queue()
        self.received: list[tuple[bytes, dict]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.deliveries.put((body, dict(self.headers)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stripe/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, predicate, timeout: float = 10.0) -> tuple[bytes, dict]:
        """The first delivery (already received or arriving) whose parsed event matches ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                while True:
                    try:
                        self.received.append(self.deliveries.get_nowait())
                    except queue.Empty:
                        break
                for body, headers in self.received:
                    if predicate(json.loads(body)):
                        return body, headers
            if time.monotonic() > deadline:
                raise AssertionError("no matching webhook delivery within the timeout")
            time.sleep(0.05)

    def wait_for_event(self, event_type: str, object_id: str, timeout: float = 10.0) -> tuple[bytes, dict]:
        return self.wait_for(lambda e: e["type"] == event_type and e["data"]["object"].get("id") == object_id, timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
