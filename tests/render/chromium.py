"""Headless Chromium driven over the DevTools protocol on a pipe, with no dependency.

``--remote-debugging-pipe`` makes Chromium read commands from its fd 3 and write replies and
events to its fd 4, each message one JSON object ended by a NUL byte. :class:`Chromium` opens a
page, records every request the page makes and every error it reports, and can evaluate
JavaScript and take screenshots; the browser is always killed on leaving the ``with`` block.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TIMEOUT_S = 30.0
WIDTH, HEIGHT = 1280, 900


class BrowserUnavailable(RuntimeError):
    """Chromium cannot be found or started here."""


@dataclass
class PageLoad:
    """What one page did while it loaded: its requests and the errors it reported."""

    url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def outside_requests(self) -> list[str]:
        """Requests for anything but the page itself or data held in the page (``data:``)."""
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]


def find_chromium() -> str:
    """The Chromium executable, or :class:`BrowserUnavailable` saying why there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise BrowserUnavailable("no chromium on PATH (.ci/run installs Debian's `chromium`)")


def _child_fds(commands: int, replies: int) -> None:
    """In the child: the command pipe's read end on fd 3, the reply pipe's write end on fd 4."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (commands, replies)]
    os.dup2(high[0], 3)
    os.dup2(high[1], 4)


class Chromium:
    """One headless Chromium with one page, attached over the DevTools pipe."""

    def __init__(self, timeout_s: float = TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []
        executable = find_chromium()
        self._home = tempfile.TemporaryDirectory(prefix="reportgen-chromium-")
        self._log = Path(self._home.name) / "stderr.log"  # a file: Chromium never blocks on it
        log = os.open(self._log, os.O_WRONLY | os.O_CREAT)
        command_read, self._commands = os.pipe()
        self._replies, reply_write = os.pipe()
        try:
            self._process = subprocess.Popen(
                [
                    executable,
                    "--headless=new",
                    "--no-sandbox",  # the tests may run as root, where the sandbox refuses
                    "--disable-gpu",
                    "--remote-debugging-pipe",
                    f"--user-data-dir={Path(self._home.name) / 'profile'}",
                    f"--window-size={WIDTH},{HEIGHT}",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "about:blank",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                pass_fds=(3, 4),
                preexec_fn=lambda: _child_fds(command_read, reply_write),
            )
        except OSError as error:
            self._release()
            raise BrowserUnavailable(f"chromium did not start: {error}") from error
        finally:
            for fd in (command_read, reply_write, log):
                os.close(fd)
        self._target = ""
        self._session = ""
        try:
            self.send("Browser.getVersion")
        except TimeoutError as error:
            self.close()
            raise BrowserUnavailable(f"chromium did not answer: {error}") from error
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._release()

    def _release(self) -> None:
        for fd in (self._commands, self._replies):
            os.close(fd)
        self._home.cleanup()

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: bool = False):
        """Sends one command and returns its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        try:
            os.write(self._commands, json.dumps(message).encode() + b"\0")
        except BrokenPipeError as error:
            raise BrowserUnavailable(
                f"chromium closed its DevTools pipe: {self._stderr()}"
            ) from error
        reply = self._receive(lambda m: m.get("id") == self._next_id, f"the reply to {method}")
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def _receive(self, wanted, what: str) -> dict[str, Any]:
        """The first message ``wanted`` accepts; every event read on the way is kept."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "method" in message:
                    self._events.append(message)
                if wanted(message):
                    return message
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"chromium sent no {what} within {self.timeout_s:g} s")
            if select.select([self._replies], [], [], left)[0]:
                chunk = os.read(self._replies, 1 << 20)
                if not chunk:
                    raise BrowserUnavailable(f"chromium exited: {self._stderr()}")
                self._buffer += chunk

    def _stderr(self) -> str:
        """The end of what Chromium wrote to its standard error."""
        return self._log.read_text(errors="replace").strip()[-2000:]

    def open(self, page: Path) -> PageLoad:
        """Loads ``page`` and waits for its load event; returns what it asked for and reported."""
        url = page.resolve().as_uri()
        self._new_tab()
        self.send("Page.navigate", {"url": url}, session=True)

        def loaded(message: dict[str, Any]) -> bool:
            return message.get("method") == "Page.loadEventFired" and (
                message.get("sessionId") == self._session
            )

        if not any(loaded(e) for e in self._events):  # it may come before navigate's reply
            self._receive(loaded, f"load event for {url}")
        # a round trip, so that events sent during the load have arrived
        if self.evaluate("location.href") != url:
            raise RuntimeError(f"chromium did not load {url}")
        load = PageLoad(url=url)
        for event in (e for e in self._events if e.get("sessionId") == self._session):
            load.requests += _requests(event)
            load.errors += _errors(event)
        return load

    def _new_tab(self) -> None:
        """A fresh tab in place of the last one, so that nothing late from it is counted."""
        if self._target:
            self.send("Target.closeTarget", {"targetId": self._target})
        self._events.clear()
        self._target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        attach = {"targetId": self._target, "flatten": True}
        self._session = self.send("Target.attachToTarget", attach)["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=True)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of ``expression`` evaluated in the page."""
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        """A PNG of the page as laid out in the window."""
        data = self.send("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        return base64.b64decode(data)


def _requests(event: dict[str, Any]) -> list[str]:
    params = event.get("params", {})
    if event["method"] == "Network.requestWillBeSent":
        return [params["request"]["url"]]
    if event["method"] == "Network.webSocketCreated":
        return [params["url"]]
    return []


def _errors(event: dict[str, Any]) -> list[str]:
    params = event.get("params", {})
    method = event["method"]
    if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
        return [" ".join(str(arg.get("value", arg.get("description"))) for arg in params["args"])]
    if method == "Log.entryAdded" and params["entry"]["level"] == "error":
        return [f"{params['entry']['text']} ({params['entry'].get('url', '')})"]
    if method == "Runtime.exceptionThrown":
        details = params["exceptionDetails"]
        return [details.get("exception", {}).get("description", details["text"])]
    return []
