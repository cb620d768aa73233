#!/usr/bin/env python3
"""A real SMTP server for Gatehouse's end-to-end tests (tests/e2e/smtp.rs), on aiosmtpd.

Listens on 127.0.0.1 (port 0: a free port, written to --port-file once listening) and saves
every message it accepts into --dir:

  NNNN.json  the envelope: {"mail_from", "rcpt_tos", "tls", "authenticated", "helo"}
  NNNN.eml   the message exactly as received (raw bytes); written last, by rename, so a
             reader that sees the .eml also sees the .json

and appends one line per EHLO/HELO to events.log ("ehlo NAME tls=0|1"), so that a test can
tell that the client came and what it did.

Modes:
  starttls  STARTTLS offered and required before MAIL, AUTH only after it (--cert/--key)
  tls       implicit TLS: TLS from the first byte (--cert/--key)
  plain     no TLS at all and no STARTTLS offered (to prove the client refuses to send)

With --user and --password-file, AUTH (PLAIN or LOGIN) with exactly those is required before
MAIL in the TLS modes. The server exits when its parent process goes away.

Needs Debian's python3-aiosmtpd (scripts/test.sh installs it).
"""

import argparse
import asyncio
import json
import logging
import os
import ssl
import sys

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError as e:  # pragma: no cover - reported to the Rust harness
    sys.stderr.write(f"smtp_server.py: cannot import aiosmtpd ({e}); install Debian's python3-aiosmtpd\n")
    sys.exit(3)


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def uses_tls(server):
    transport = server.transport
    return bool(transport is not None and transport.get_extra_info("ssl_object") is not None)


class Saver:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    def event(self, line):
        with open(os.path.join(self.directory, "events.log"), "a", encoding="utf-8") as f:
            f.write(line + "\n")

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.event(f"ehlo {hostname} tls={int(uses_tls(server))}")
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        session.host_name = hostname
        self.event(f"helo {hostname} tls={int(uses_tls(server))}")
        return "250 {}".format(server.hostname)

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, f"{self.count:04d}")
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": uses_tls(server),
            "authenticated": bool(session.authenticated),
            "helo": session.host_name,
        }
        write_atomic(base + ".json", json.dumps(meta).encode())
        write_atomic(base + ".eml", envelope.original_content)
        self.event(f"message {self.count:04d}")
        return "250 Message accepted"


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.user
            and auth_data.password == self.password
        )
        # handled=False: aiosmtpd answers a failure with 535 itself.
        return AuthResult(success=ok, handled=False)


async def watch_parent(parent, stop):
    while os.getppid() == parent:
        await asyncio.sleep(0.5)
    stop.set()


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mode", choices=["starttls", "tls", "plain"], required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password-file")
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    os.makedirs(a.dir, exist_ok=True)
    context = None
    if a.mode in ("starttls", "tls"):
        if not (a.cert and a.key):
            p.error("--cert and --key are required for starttls and tls")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.cert, a.key)
    authenticator = None
    if a.user:
        with open(a.password_file, encoding="utf-8") as f:
            password = f.read().rstrip("\n")
        authenticator = Authenticator(a.user, password)

    handler = Saver(a.dir)
    loop = asyncio.get_running_loop()

    def factory():
        kwargs = dict(hostname="localhost", loop=loop, timeout=30)
        if a.mode == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        if a.mode == "tls":
            # The connection is TLS already: AUTH needs no STARTTLS.
            kwargs.update(auth_require_tls=False)
        if authenticator is not None and a.mode != "plain":
            kwargs.update(authenticator=authenticator, auth_required=True)
        return SMTP(handler, **kwargs)

    server = await loop.create_server(
        factory, "127.0.0.1", a.port, ssl=context if a.mode == "tls" else None
    )
    port = server.sockets[0].getsockname()[1]
    if a.port_file:
        write_atomic(a.port_file, str(port).encode())
    print(f"smtp_server.py: {a.mode} on 127.0.0.1:{port}, saving to {a.dir}", file=sys.stderr, flush=True)

    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_parent(os.getppid(), stop))
    await stop.wait()
    watcher.cancel()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
