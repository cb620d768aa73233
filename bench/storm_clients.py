#!/usr/bin/env python3
"""Load clients for bench/storm.sh. Not run on its own.

storm PORT PASSWORD_FILE CLIENTS STOP_FILE OUT
    CLIENTS threads sign in continuously through the portal's login form (GET the page for the
    CSRF cookie and token, POST the form, expect 303 with a session cookie), thread i as user
    storm<i> from the source address 127.0.0.<i+2> (one client address and one account each, so
    that the hashing pool's per-client and per-account shares do not refuse them). Runs until
    STOP_FILE exists, then writes "ok busy other seconds" to OUT.

hold PORT COUNT PER_ADDRESS READY_FILE STOP_FILE
    Opens COUNT keep-alive connections to the gateway (PER_ADDRESS per source address
    127.1.x.y), sends one health request on each and reads the answer, writes the number held to
    READY_FILE, then keeps them open and idle until STOP_FILE exists.
"""

import http.client
import os
import re
import socket
import sys
import threading
import time
import urllib.parse

CSRF_COOKIE = re.compile(r"__Host-gatehouse_csrf=([^;]*)")
CSRF_INPUT = re.compile(r'name="csrf" value="([^"]*)"')


def sign_in(conn, port, user, password):
    """One login; returns 'ok', 'busy' (503/429) or 'other'."""
    host = f"localhost:{port}"
    conn.request("GET", "/_gatehouse/login", headers={"Host": host})
    resp = conn.getresponse()
    page = resp.read().decode("utf-8", "replace")
    cookie = None
    for name, value in resp.getheaders():
        if name.lower() == "set-cookie":
            m = CSRF_COOKIE.search(value)
            cookie = m.group(1) if m else cookie
    token = CSRF_INPUT.search(page)
    if resp.status != 200 or cookie is None or token is None:
        return "other"
    body = urllib.parse.urlencode(
        {"username": user, "password": password, "csrf": token.group(1), "rd": ""}
    )
    conn.request(
        "POST",
        "/_gatehouse/login",
        body=body,
        headers={
            "Host": host,
            "Cookie": f"__Host-gatehouse_csrf={cookie}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    resp = conn.getresponse()
    resp.read()
    session = any(
        n.lower() == "set-cookie" and "gatehouse_session=" in v and "gatehouse_session=;" not in v
        for n, v in resp.getheaders()
    )
    if resp.status == 303 and session:
        return "ok"
    if resp.status in (429, 503):
        return "busy"
    return "other"


def storm(port, password_file, clients, stop_file, out):
    password = open(password_file).read()
    counts = {"ok": 0, "busy": 0, "other": 0}
    lock = threading.Lock()

    def client(i):
        conn = None
        while not os.path.exists(stop_file):
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(
                        "127.0.0.1", port, timeout=30, source_address=(f"127.0.0.{i + 2}", 0)
                    )
                result = sign_in(conn, port, f"storm{i}", password)
            except (OSError, http.client.HTTPException):
                result, conn = "other", None
            with lock:
                counts[result] += 1
            if result != "ok":
                time.sleep(0.05)

    start = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(out, "w") as f:
        f.write(f"{counts['ok']} {counts['busy']} {counts['other']} {time.monotonic() - start:.1f}\n")


def hold(port, count, per_address, ready_file, stop_file, batch=100):
    """Opens `count` connections, each after one answered request, `batch` at a time: what is
    measured is the memory of connections held idle, not of `count` requests in flight at once
    (whose freed memory the allocator would keep and count too)."""
    socks = []
    request = f"GET /_gatehouse/api/health HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n".encode()
    held = 0
    for start in range(0, count, batch):
        group = []
        for n in range(start, min(start + batch, count)):
            a = n // per_address
            s = socket.socket()
            s.bind((f"127.1.{a // 250}.{a % 250 + 1}", 0))
            s.connect(("127.0.0.1", port))
            s.sendall(request)
            group.append(s)
        for s in group:
            s.settimeout(30)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            held += data.startswith(b"HTTP/1.1 200")
        socks += group
    with open(ready_file, "w") as f:
        f.write(f"{held}\n")
    while not os.path.exists(stop_file):
        time.sleep(0.2)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "storm":
        storm(int(args[0]), args[1], int(args[2]), args[3], args[4])
    elif mode == "hold":
        hold(int(args[0]), int(args[1]), int(args[2]), args[3], args[4])
    else:
        sys.exit(f"unknown mode {mode}")
