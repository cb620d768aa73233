"""Sends one request N times on one kept-alive connection and checks every answer is 200.

`instructions_client.py login PORT PASSWORD_FILE` signs in as `bench` through the portal's form
and prints the session cookie (name=value); `instructions_client.py MODE PORT N [COOKIE]` sends
N requests: `proxy` (a page of the site), `auth-request` (nginx's forward-auth call),
`forward-auth` (Caddy's) or `plain` (a bare GET, for the anchors). A measurement helper of bench/instructions.sh, not a test.
"""

import http.client
import re
import socket
import sys
import urllib.parse


def login(port, password_file):
    password = open(password_file).read().strip()
    host = {"Host": f"localhost:{port}"}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("GET", "/_gatehouse/login", headers=host)
    r = c.getresponse()
    page = r.read().decode()
    csrf_cookie = re.search(r"__Host-gatehouse_csrf=([^;]*)", r.getheader("set-cookie")).group(1)
    token = re.search(r'name="csrf" value="([^"]*)"', page).group(1)
    form = urllib.parse.urlencode({"username": "bench", "password": password, "csrf": token, "rd": ""})
    c.request("POST", "/_gatehouse/login", body=form, headers={
        **host,
        "Cookie": f"__Host-gatehouse_csrf={csrf_cookie}",
        "Content-Type": "application/x-www-form-urlencoded",
    })
    r = c.getresponse()
    r.read()
    cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie" and "gatehouse_session=" in v]
    if r.status != 303 or not cookies:
        sys.exit(f"login answered {r.status} without a session cookie")
    return cookies[0].split(";")[0]


def request(mode, cookie):
    if mode == "proxy":
        head = f"GET /some/page?x=1 HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\n"
    elif mode == "auth-request":
        head = (
            "GET /api/authz/auth-request HTTP/1.1\r\nHost: localhost\r\n"
            "X-Original-Method: GET\r\nX-Original-URL: http://localhost/some/page?x=1\r\n"
            f"X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nCookie: {cookie}\r\n"
        )
    elif mode == "forward-auth":
        # Caddy's forward_auth call as Caddy 2.6 sends it: the original query on the endpoint's
        # URL, the client's headers, then the X-Forwarded-* set.
        head = (
            f"GET /api/authz/forward-auth?x=1 HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\n"
            "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Host: localhost\r\nX-Forwarded-Method: GET\r\n"
            "X-Forwarded-Proto: http\r\nX-Forwarded-Uri: /some/page?x=1\r\nAccept-Encoding: gzip\r\n"
        )
    else:
        head = "GET /some/page?x=1 HTTP/1.1\r\nHost: localhost\r\n"
    return (head + "Accept: */*\r\nUser-Agent: bench\r\n\r\n").encode()


def send(mode, port, n, cookie):
    req = request(mode, cookie)
    s = socket.create_connection(("127.0.0.1", port), timeout=120)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    for _ in range(n):
        s.sendall(req)
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                head = buf[:end].decode("latin1")
                m = re.search(r"(?i)content-length: *(\d+)", head)
                length = int(m.group(1)) if m else 0
                if len(buf) >= end + 4 + length:
                    if head.split(" ")[1] != "200":
                        sys.exit(f"{mode}: answered {head.splitlines()[0]}")
                    buf = buf[end + 4 + length:]
                    break
            data = s.recv(65536)
            if not data:
                sys.exit(f"{mode}: the server closed the connection")
            buf += data


if __name__ == "__main__":
    if sys.argv[1] == "login":
        print(login(int(sys.argv[2]), sys.argv[3]))
    else:
        send(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "")
