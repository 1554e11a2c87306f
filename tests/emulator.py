"""A moto server on loopback that processes one request at a time.

moto's DynamoDB is not thread-safe: TransactWriteItems rolls back a failed
transaction by restoring a deep copy of the whole table taken when it started,
which, with requests served concurrently, can resurrect or erase the writes of
other transactions. Real DynamoDB is atomic per request; serialising requests
(while still accepting connections concurrently) gives the tests exactly that
model, and the races between our processes still interleave at request
granularity, which is where the tracker's own races live.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server


class SerializedMotoServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        lock = threading.Lock()

        def serialized(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            with lock:
                return list(app(environ, start_response))

        self._server: BaseWSGIServer = make_server(
            host, port, serialized, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
