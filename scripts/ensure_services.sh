#!/usr/bin/env bash
# Make sure what the test suite talks to is there: PostgreSQL (127.0.0.1:5432, trust auth),
# Redis (127.0.0.1:6379) and Debian's Chromium for the browser tests. Starts what is
# installed but stopped; installs with apt what is missing (as root).
set -euo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}
APT_UPDATED=0

say() { printf '[services] %s\n' "$*"; }

apt_install() {
  if [ "$(id -u)" != "0" ]; then say "cannot install $* (not root)"; return 1; fi
  if [ "$APT_UPDATED" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 40); do port_open "$1" "$2" && return 0; sleep 0.25; done
  return 1
}

# PostgreSQL
if ! port_open "$PG_HOST" "$PG_PORT"; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    say "installing PostgreSQL"; apt_install postgresql postgresql-contrib
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  say "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_port "$PG_HOST" "$PG_PORT" || { say "PostgreSQL does not answer on $PG_HOST:$PG_PORT"; exit 1; }
fi
say "PostgreSQL is up on $PG_HOST:$PG_PORT"

# Redis
if ! port_open 127.0.0.1 "$REDIS_PORT"; then
  command -v redis-server >/dev/null 2>&1 || { say "installing Redis"; apt_install redis-server; }
  say "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_port 127.0.0.1 "$REDIS_PORT" || { say "Redis does not answer"; exit 1; }
fi
say "Redis is up on 127.0.0.1:$REDIS_PORT"

# Chromium (browser tests drive it through Playwright; never `playwright install`)
if [ ! -x /usr/bin/chromium ]; then
  say "installing Chromium"; apt_install chromium
fi
say "Chromium: $(/usr/bin/chromium --version 2>/dev/null || echo missing)"
