#!/usr/bin/env python3
"""A real h2c-capable upstream for Gatehouse's end-to-end tests (tests/e2e/edge_upgrade.rs).

Hypercorn honours `Upgrade: h2c` on a plain HTTP/1.1 request by default: it answers 101 and
speaks HTTP/2 on the same connection from then on. That is exactly the behaviour an attacker
needs to smuggle HTTP/2 streams past a proxy that tunnels any upgrade, so the tests run the
gateway in front of it.

Listens on 127.0.0.1 (port 0: a free port, written to --port-file once listening). Every
request the app sees is appended to --log as one JSON line:
  {"http_version": "1.1" | "2", "method": ..., "path": ..., "headers": {name: value, ...}}
and answered 200 "h2c upstream ok". The server exits when its parent process goes away.

Needs hypercorn from PyPI (scripts/test.sh installs it into a venv under target/).
"""

import argparse
import asyncio
import json
import os
import socket
import sys

try:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config
except ImportError as e:  # pragma: no cover - reported to the Rust harness
    sys.stderr.write(f"h2c_upstream.py: cannot import hypercorn ({e}); run scripts/test.sh, which installs it\n")
    sys.exit(3)


def make_app(log_path):
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        record = {
            "http_version": scope.get("http_version"),
            "method": scope.get("method"),
            "path": scope.get("path"),
            "headers": {k.decode("latin1"): v.decode("latin1") for k, v in scope.get("headers", [])},
        }
        with open(log_path, "a") as f:
            f.write(json.dumps(record) + "\n")
        body = b"h2c upstream ok"
        await send({
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())],
        })
        await send({"type": "http.response.body", "body": body})

    return app


async def watch_parent(parent):
    while os.getppid() == parent:
        await asyncio.sleep(0.5)
    os._exit(0)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]

    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.accesslog = None
    config.errorlog = "-"

    open(args.log, "a").close()
    asyncio.get_running_loop().create_task(watch_parent(os.getppid()))
    server = asyncio.ensure_future(serve(make_app(args.log), config))
    # Tell the harness only once hypercorn has had a turn to start accepting.
    await asyncio.sleep(0)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.replace(tmp, args.port_file)
    await server


if __name__ == "__main__":
    asyncio.run(main())
