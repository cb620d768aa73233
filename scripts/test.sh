#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs the system packages the tests use
# when they are missing (Debian), starts a private redis-server and a private PostgreSQL cluster
# on free loopback ports, and runs every test, tests/it twice (users in SQLite, then in
# PostgreSQL). Extra arguments go to `cargo test` (e.g. a test-name filter); set
# GATEHOUSE_TEST_USER_STORE=postgres to run a filtered selection on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# The Sentinel failover test (tests/it/redis_sentinel.rs) runs its own sentinels, and the Redis
# Cluster test (tests/it/redis_cluster.rs) its own three nodes, joined with redis-cli.
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# nginx lives in /usr/sbin, which a non-root PATH may lack; the tests need its auth_request module.
case "$(PATH="$PATH:/usr/sbin" nginx -V 2>&1)" in *http_auth_request_module*) ;; *) missing+=(nginx) ;; esac
command -v caddy >/dev/null 2>&1 || missing+=(caddy)
# The browser end-to-end tests (tests/e2e/browser.rs) drive Debian's Chromium through its
# chromedriver and check TOTP codes with oathtool, an implementation independent of ours.
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
command -v oathtool >/dev/null 2>&1 || missing+=(oathtool)
# The SMTP tests (tests/e2e/smtp.rs, mail.rs) run a real SMTP server on aiosmtpd
# (tests/support/smtp_server.py) with Debian's interpreter, the one python3-aiosmtpd is for.
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
# The user store also runs on PostgreSQL (a private cluster below): Debian's server package.
pg_bins() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
[ -x "$(pg_bins)/initdb" ] || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  if ! { "${sudo_cmd[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
    echo "test.sh: could not install ${missing[*]} with apt-get; install them and run again" >&2
    exit 1
  fi
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then break; fi
  sleep 0.1
done
if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
  echo "test.sh: redis-server did not start on port $redis_port:" >&2
  cat "$work/redis.log" >&2
  exit 1
fi
export GATEHOUSE_TEST_REDIS_URL="redis://127.0.0.1:$redis_port"

# A private PostgreSQL cluster: initdb into its own temp dir (owned by the unprivileged
# `postgres` user when we are root: the server refuses to run as root), listening on a free
# loopback port only, its socket in that dir, trust auth for 127.0.0.1 and the socket only.
# Tests create one database each through it (tests/common/harness.rs).
pg_bin=$(pg_bins)
pg_dir=$(mktemp -d)
as_pg=()
if [ "$(id -u)" = 0 ]; then chown postgres: "$pg_dir"; as_pg=(runuser -u postgres --); fi
pg_stop() { "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; pg_stop; rm -rf "$work"; }
pg_port=$(free_port)
if ! "${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --no-sync >"$pg_dir/initdb.log" 2>&1; then
  echo "test.sh: initdb failed:" >&2; cat "$pg_dir/initdb.log" >&2; exit 1
fi
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' | "${as_pg[@]}" tee "$pg_dir/data/pg_hba.conf" >/dev/null
# TLS too (tests/it/user_store.rs connects with sslmode=verify-full): a throw-away CA and a
# server certificate for 127.0.0.1, made with openssl.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=gatehouse-test-ca -keyout "$pg_dir/ca.key" -out "$pg_dir/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$pg_dir/server.key" -out "$pg_dir/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$pg_dir/san.ext"
openssl x509 -req -in "$pg_dir/server.csr" -CA "$pg_dir/ca.crt" -CAkey "$pg_dir/ca.key" -CAcreateserial -days 2 -extfile "$pg_dir/san.ext" -out "$pg_dir/server.crt" 2>/dev/null
chmod 600 "$pg_dir/server.key"
if [ "$(id -u)" = 0 ]; then chown postgres: "$pg_dir/server.key" "$pg_dir/server.crt"; fi
# fsync off: a test cluster need not survive a power cut (the crash tests kill gatehouse, not it).
if ! "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 30 \
  -o "-p $pg_port -c listen_addresses=127.0.0.1 -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c ssl=on -c ssl_cert_file=$pg_dir/server.crt -c ssl_key_file=$pg_dir/server.key" start >/dev/null; then
  echo "test.sh: PostgreSQL did not start on port $pg_port:" >&2; cat "$pg_dir/server.log" >&2; exit 1
fi
export GATEHOUSE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
export GATEHOUSE_TEST_POSTGRES_CA="$pg_dir/ca.crt"

# The h2c smuggling test (tests/e2e/edge_upgrade.rs) need a real h2c-capable upstream:
# hypercorn from PyPI, in a venv of the machine's python3 kept under target/ (created once).
venv=target/test-venv
if ! "$venv/bin/python" -c 'import hypercorn' >/dev/null 2>&1; then
  echo "test.sh: installing hypercorn (PyPI) into $venv" >&2
  if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    sudo_cmd=()
    [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3-venv >/dev/null || true
  fi
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q "hypercorn==0.18.*"; }; then
    echo "test.sh: could not create $venv with hypercorn (needs python3-venv and PyPI)" >&2
    exit 1
  fi
fi
export GATEHOUSE_TEST_PYTHON="$PWD/$venv/bin/python"

# The accessibility test (tests/e2e/accessibility.rs) injects axe-core into Chromium: a pinned
# release from the npm registry, checked against the registry's dist.integrity (sha512) before
# its axe.min.js is kept under target/ (fetched once).
axe_version=4.14.1
axe_integrity='sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=='
axe_js="$PWD/target/axe-core-$axe_version/axe.min.js"
if [ ! -s "$axe_js" ]; then
  echo "test.sh: fetching axe-core $axe_version (npm registry) into ${axe_js%/*}" >&2
  # The registry's tarball URL, fetched with python3 (already needed above): no npm needed.
  tarball="$work/axe-core-$axe_version.tgz"
  url="https://registry.npmjs.org/axe-core/-/axe-core-$axe_version.tgz"
  if ! python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' "$url" "$tarball"; then
    echo "test.sh: could not fetch $url (needs the npm registry)" >&2
    exit 1
  fi
  got="sha512-$(python3 -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$tarball")"
  if [ "$got" != "$axe_integrity" ]; then
    echo "test.sh: axe-core-$axe_version.tgz is $got, not the pinned $axe_integrity; refusing it" >&2
    exit 1
  fi
  mkdir -p "${axe_js%/*}"
  tar -xzf "$tarball" -C "$work" package/axe.min.js
  mv "$work/package/axe.min.js" "$axe_js"
fi
export GATEHOUSE_TEST_AXE="$axe_js"

if [ $# -eq 0 ]; then
  # The whole suite also holds the repository to its rules: no reference outside it, files
  # split before they sprawl, rustfmt and clippy clean.
  scripts/check-repo.sh
  cargo fmt --all -- --check
  cargo clippy --locked --all-targets -- -D warnings
  cargo test --locked --all-targets
  # The same integration suite again with every test app's users in PostgreSQL.
  echo "test.sh: tests/it again on the PostgreSQL user store" >&2
  start=$SECONDS
  GATEHOUSE_TEST_USER_STORE=postgres cargo test --locked --lib store::sql
  GATEHOUSE_TEST_USER_STORE=postgres cargo test --locked --test it
  echo "test.sh: the PostgreSQL pass took $((SECONDS - start)) s" >&2
else
  cargo test --locked "$@"
fi
