# Sourced by .ci/run and by `make test` under CI=true: make sure PostgreSQL and
# Redis answer on 127.0.0.1 (start them if they do not) and that Chromium (for
# the browser tests) and Kannel (for the SMS gateway tests) are installed, then
# point the tests at them. Returns non-zero with a clear message when something
# cannot be had: under CI nothing is skipped.

ci_fail() { echo "CI: $1" >&2; return 1; }
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }
wait_for() {  # wait_for NAME CHECK
  for _ in $(seq 1 30); do "$2" && return 0; sleep 1; done
  ci_fail "$1 did not come up on 127.0.0.1; the tests need it."
}

ci_services() {
  if ! pg_up; then
    echo "CI: starting PostgreSQL"
    command -v pg_ctlcluster >/dev/null || { ci_fail "PostgreSQL is not running and not installed."; return 1; }
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || return 1
    wait_for PostgreSQL pg_up || return 1
  fi
  if ! redis_up; then
    echo "CI: starting Redis"
    command -v redis-server >/dev/null || { ci_fail "Redis is not running and not installed."; return 1; }
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || return 1
    wait_for Redis redis_up || return 1
  fi
  if [ ! -x /usr/bin/chromium ]; then
    echo "CI: installing Debian's Chromium for the browser tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
      { ci_fail "could not install Chromium (apt-get install chromium); the browser tests need /usr/bin/chromium."; return 1; }
  fi
  # The reminders' Kannel tests run bearerbox, smsbox and the fake SMSC; each test starts its own
  # on free loopback ports and stops it after (reminders/tests/kannel.py).
  if [ ! -x /usr/lib/kannel/test/fakesmsc ]; then
    echo "CI: installing Debian's Kannel for the SMS gateway tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kannel kannel-extras >/dev/null; } ||
      { ci_fail "could not install Kannel (apt-get install kannel kannel-extras); the Kannel tests need it."; return 1; }
  fi
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
  export CELERY_BROKER_URL="redis://127.0.0.1:6379/1"
}

ci_services
