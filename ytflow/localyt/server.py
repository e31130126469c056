"""YT's HTTP proxy protocol over the standard library's threaded HTTP server.

What the client expects of a proxy (``yt/wrapper/http_driver.py``): ``/api`` and ``/api/v4``
describe the commands; ``/hosts`` lists heavy proxies (only this one); parameters arrive in
``X-YT-Parameters`` (YSON text or JSON, per ``X-YT-Header-Format``) or, for volatile commands
without input, in the body; request bodies may be gzip'ed and chunked; an error is status 400
with ``X-YT-Response-Code`` and the error as JSON in ``X-YT-Error``.
"""

from __future__ import annotations

import hmac
import json
import logging
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from ytflow.localyt.endpoint import Endpoint
from ytflow.localyt.formats import dump_structured, load_json_parameters
from ytflow.localyt.parameters import check_parameters
from ytflow.localyt.registry import Request, Streamed, all_commands
from ytflow.localyt.yson_lib import yson
from ytflow.localyt.yt_errors import YtLocalError, invalid_credentials, unknown_token

log = logging.getLogger("ytflow.localyt")
API_VERSIONS = ["v3", "v4"]


class LocalYtServer(ThreadingHTTPServer):
    """The listening socket; one thread per connection, all sharing one Endpoint."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, endpoint: Endpoint, port: int, *, token: str | None = None) -> None:
        super().__init__(("127.0.0.1", port), ProxyHandler)
        self.endpoint = endpoint
        self.commands = all_commands()
        self.token = token
        """When set, requests must carry ``Authorization: OAuth <token>`` (else HTTP 401)."""

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class ProxyHandler(BaseHTTPRequestHandler):
    """Answers one HTTP request as YT's HTTP proxy would."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm and the client's
    # delayed ACKs each request would stall ~40 ms.
    disable_nagle_algorithm = True
    server: LocalYtServer  # pyright: ignore[reportIncompatibleVariableOverride] - narrowed type

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    # -- routing ----------------------------------------------------------------------------

    def _serve(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        try:
            if path in ("/hosts", "/api/v4/discover_proxies", "/api/v3/discover_proxies"):
                hosts = [f"127.0.0.1:{self.server.port}"]
                body = {"proxies": hosts} if "discover" in path else hosts
                self._send_json(body)
            elif path == "/api":
                self._send_json(API_VERSIONS)
            elif path in ("/api/v3", "/api/v4"):
                self._send_json([each.descriptor() for each in self.server.commands.values()])
            elif path in ("/ping", "/service"):
                self._send_json({})
            elif path == "/auth/whoami":
                self._authenticate()
                self._send_json({"login": "root"})
            elif path.startswith(("/api/v4/", "/api/v3/")):
                self._authenticate()
                self._command(path.split("/", 3)[3])
            else:
                raise YtLocalError(f"local-yt has no handler for {path!r}")
        except _Unauthorized as refusal:
            self._read_body()  # keep the connection usable: the request body is consumed
            self._send_error(refusal.error, status=401)
        except YtLocalError as error:
            self._send_error(error)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as error:
            log.exception("local-yt failed on %s", self.path)
            self._send_error(
                YtLocalError(f"local-yt internal error: {type(error).__name__}: {error}")
            )

    def _authenticate(self) -> None:
        """With ``--token``: refuse other credentials as YT's HTTP proxy does (401, code 111).

        ``/hosts``, ``/api`` and the command list need no credentials, as on a cluster.
        """
        expected = self.server.token
        if expected is None:
            return
        header = self.headers.get("Authorization")
        if not header:
            raise _Unauthorized(invalid_credentials("Client is missing credentials"))
        if not header.startswith("OAuth "):
            raise _Unauthorized(invalid_credentials("Malformed Authorization header"))
        given = header.removeprefix("OAuth ").strip()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise _Unauthorized(unknown_token(given))

    def _command(self, name: str) -> None:
        spec = self.server.commands.get(name)
        if spec is None or spec.handler is None:
            raise YtLocalError(
                f"Command {name!r} is not known to local-yt", attributes={"command": name}
            )
        raw_body = self._read_body()
        params = self._parameters()
        body = raw_body
        if spec.input_type == "null" and raw_body and not params:
            params = self._parse_params_text(raw_body, self.headers.get("Content-Type", ""))
            body = b""
        check_parameters(name, params)
        request = Request(command=name, params=params, body=body)
        result = spec.handler(self.server.endpoint, request)
        if isinstance(result, Streamed):
            self._send_stream(result)
        elif spec.output_type in ("binary", "tabular") and isinstance(result, bytes):
            self._send_bytes(result, "application/octet-stream")
        elif spec.output_type == "null":
            self._send_bytes(b"", "text/plain")
        else:
            if params.get("return_only_value") and isinstance(result, dict) and "value" in result:
                result = result["value"]  # pyright: ignore[reportUnknownVariableType]
            output_format = params.get("output_format")
            payload = dump_structured(result, output_format)
            self._send_bytes(
                payload,
                "application/json" if _is_json(output_format) else "application/x-yt-yson-binary",
            )

    # -- request parsing --------------------------------------------------------------------

    def _parameters(self) -> dict[str, Any]:
        header = self.headers.get("X-YT-Parameters")
        if not header:
            return {}
        header_format = self.headers.get("X-YT-Header-Format", "json")
        return self._parse_params_text(header.encode("latin-1"), header_format)

    @staticmethod
    def _parse_params_text(data: bytes, declared: str) -> dict[str, Any]:
        try:
            if "yson" in declared:
                value = yson().loads(data)
            else:
                value = load_json_parameters(json.loads(data))
        except Exception as error:
            raise YtLocalError(f"Error parsing command parameters ({declared}): {error}") from None
        if not isinstance(value, dict):
            raise YtLocalError("Command parameters must be a map")
        return dict(value)  # type: ignore[arg-type]

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            raw = b"".join(parts)
        else:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
        return _decompress(raw, self.headers.get("Content-Encoding", "identity"))

    # -- responses --------------------------------------------------------------------------

    def _send_json(self, value: Any) -> None:
        self._send_bytes(json.dumps(value).encode(), "application/json")

    def _send_bytes(self, payload: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-YT-Response-Code", "0")
        self.end_headers()
        self.wfile.write(payload)

    def _send_stream(self, result: Streamed) -> None:
        blocks = iter(result.blocks)
        first = next(blocks, b"")  # errors found before the first block still become a 400
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        if result.response_parameters:
            if "yson" in self.headers.get("X-YT-Header-Format", "json"):
                encoded = (
                    yson().dumps(result.response_parameters, yson_format="text").decode("latin-1")
                )
            else:
                encoded = json.dumps(_jsonable(result.response_parameters))
            self.send_header("X-YT-Response-Parameters", encoded)
        self.end_headers()
        try:
            for block in (first, *blocks) if first else blocks:
                if block:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
        except YtLocalError as error:
            log.error("local-yt stream failed mid-way: %s", error.message)
            self.close_connection = True
            return
        self.wfile.write(b"0\r\n\r\n")

    def _send_error(self, error: YtLocalError, *, status: int = 400) -> None:
        payload = json.dumps(_jsonable(error.to_yt()))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-YT-Response-Code", str(error.code))
        self.send_header(
            "X-YT-Response-Message",
            # A header value must not carry line breaks: the response would be cut short.
            " ".join(error.message.encode("ascii", "replace").decode().split())[:1000],
        )
        self.send_header("X-YT-Error", payload.encode("ascii", "backslashreplace").decode())
        self.send_header("Content-Length", str(len(payload.encode())))
        self.end_headers()
        self.wfile.write(payload.encode())


class _Unauthorized(Exception):
    """A request without the server's token: answered with HTTP 401."""

    def __init__(self, error: YtLocalError) -> None:
        super().__init__(error.message)
        self.error = error


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        items: dict[Any, Any] = value  # type: ignore[assignment]
        return {str(key): _jsonable(item) for key, item in items.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]  # type: ignore[misc]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)


def _is_json(spec: Any) -> bool:
    return spec is not None and str(spec) == "json"


def _decompress(raw: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    try:
        if encoding in ("gzip", "deflate"):
            # The client's "gzip" is zlib-framed deflate; wbits=47 accepts both framings.
            return zlib.decompress(raw, wbits=47)
        if encoding == "br":
            try:
                import brotli  # type: ignore[import-not-found]  # noqa: PLC0415
            except ImportError:
                raise YtLocalError(
                    "The request is brotli-compressed but local-yt has no brotli module",
                    attributes={
                        "hint": "pip install brotli, or set proxy/content_encoding to gzip"
                    },
                ) from None
            return bytes(brotli.decompress(raw))  # type: ignore[no-any-return]
    except (OSError, zlib.error, EOFError) as error:
        raise YtLocalError(f"Cannot decode a {encoding} request body: {error}") from None
    raise YtLocalError(
        f"local-yt does not support Content-Encoding {encoding!r}; use gzip or identity"
    )
