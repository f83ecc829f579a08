"""The HTTP front: a stdlib ThreadingHTTPServer (HTTP/1.1 keep-alive, optional TLS) that turns each request into a
`Request`, lets `Emulator.dispatch` answer, and writes the `Response`. Starts in milliseconds, binds loopback by
default, and on stop closes idle keep-alive connections so no thread outlives the server for long."""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl, unquote, urlsplit

from fineplan.emulator.app import Emulator
from fineplan.emulator.clock import Clock, system_clock
from fineplan.emulator.config import EmulatorConfig
from fineplan.emulator.http_types import Request
from fineplan.emulator.tls import CA_FILE, ensure_certificates, server_context


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: Emulator, scheme: str, access_log: TextIO | None) -> None:
        self.emulator = emulator
        self.scheme = scheme
        self.access_log = access_log
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up or refuse our certificate are routine, not server faults.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fineplan-emulator"
    sys_version = ""
    timeout = 60  # idle keep-alive connections end after a minute
    disable_nagle_algorithm = True  # headers and body leave in separate writes: no 40 ms delayed-ACK stall
    server: _HTTPServer

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()  # here, in the connection's thread, not in the accept loop
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.request)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.request)
        self.server.emulator.store.release()  # closed with its client connection: no pile-up
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _handle(self) -> None:
        body = self._read_body()
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        host = headers.get("host") or ":".join(str(part) for part in self.server.server_address[:2])
        req = Request(
            method=self.command,
            path=unquote(url.path),
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers=headers,
            body=body,
            root=f"{self.server.scheme}://{host}",
        )
        resp = self.server.emulator.dispatch(req)
        self.send_response(resp.status)
        if resp.content_type and resp.status != 204:
            self.send_header("Content-Type", resp.content_type)
        for key, value in resp.headers.items():
            self.send_header(key, value)
        payload = b"" if self.command == "HEAD" or resp.status in (204, 304) else resp.body
        if resp.status != 204:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.access_log is not None:
            # Only the request line and status: headers (api-key, Authorization) never reach the log.
            self.server.access_log.write(f"{self.address_string()} - {format % args}\n")
            self.server.access_log.flush()


class EmulatorServer:
    """An emulator bound to a socket. `start()` serves from a background thread; `serve_forever()` blocks."""

    def __init__(
        self,
        data_dir: Path,
        config: EmulatorConfig,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        clock: Clock = system_clock,
        access_log: TextIO | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.emulator = Emulator(data_dir, config, clock)
        self.ca_path: Path | None = None
        scheme = "https" if tls else "http"
        try:
            self._httpd = _HTTPServer((host, port), self.emulator, scheme, access_log)
            if tls:
                folder = ensure_certificates(data_dir)
                self.ca_path = folder / CA_FILE
                self._httpd.socket = server_context(folder).wrap_socket(
                    self._httpd.socket, server_side=True, do_handshake_on_connect=False
                )
        except BaseException:
            self.emulator.close()
            raise
        bound_host, bound_port = (str(part) for part in self._httpd.server_address[:2])
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.url = f"{scheme}://{shown}:{bound_port}"
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def describe_accounts(self) -> list[str]:
        """What ARM URLs and data-plane clients need, one line per account served (the default first)."""
        registry = self.emulator.accounts
        default = registry.default
        lines = []
        for account in [default, *(a for a in registry.all() if a.key != default.key and not a.implicit)]:
            endpoint = f"{self.url}/" if account.key == default.key else f"{self.url}/accounts/{account.name}/"
            role = "default account" if account.key == default.key else "account"
            lines.append(
                f"{role} {account.name}: subscription {account.subscription}, resource group "
                f"{account.resource_group}, location {account.location}, data plane {endpoint}"
            )
        if not registry.declared_mode:
            lines.append("other accounts spring into being on first use and share the default account's data plane")
        return lines

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fineplan-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        with self._httpd.connections_lock:
            open_connections = list(self._httpd.connections)
        for conn in open_connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.emulator.close()
