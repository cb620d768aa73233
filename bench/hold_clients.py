#!/usr/bin/env python3
"""The keep-alive client of bench/storm.sh. Not run on its own (the sign-in clients are
bench/storm_clients.rs).

hold PORT COUNT PER_ADDRESS READY_FILE STOP_FILE
    Opens COUNT keep-alive connections to the gateway (PER_ADDRESS per source address
    127.1.x.y), sends one health request on each and reads the answer, writes the number held to
    READY_FILE, then keeps them open and idle until STOP_FILE exists.
"""

import os
import socket
import sys
import time


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
    if mode == "hold":
        hold(int(args[0]), int(args[1]), int(args[2]), args[3], args[4])
    else:
        sys.exit(f"unknown mode {mode}")
