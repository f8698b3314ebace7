#!/usr/bin/env bash
# A private MariaDB server for the local cloud's DAS service, its tests and the demo.
#
# Usage:
#   scripts/mariadb.sh [start] [DIR] [PORT]   start (or reuse) the server; prints its TCP port on stdout
#   scripts/mariadb.sh stop [DIR]             stop it (only the server this script started in DIR)
#   scripts/mariadb.sh status [DIR]           print the port and exit 0 if it answers, exit 1 otherwise
#   scripts/mariadb.sh install                install the packages when missing, start nothing
#
# DIR defaults to /tmp/pulumi-sessions-mariadb; PORT defaults to the first free port from 23306 up.
# Everything else goes to stderr, so `port=$(scripts/mariadb.sh)` works.
#
# The server is private: its own datadir, socket, pid file and port, started with --no-defaults so that
# /etc/mysql (and a system MariaDB that may already be running on 3306) play no part. It listens on
# 127.0.0.1 only. It runs with the binary log on, so replicas (`Binlog Dump` threads) can attach.
# Grants are real (no --skip-grant-tables): the script creates an admin account for tests to set up
# users with, over TCP with a password:
#   user MARIADB_ADMIN_USER (default psadmin), password MARIADB_ADMIN_PASSWORD (default psadmin-local),
#   host 127.0.0.1 and localhost, ALL PRIVILEGES WITH GRANT OPTION.
# Installs Debian's mariadb-server and mariadb-client with apt-get when they are missing (root only).
set -euo pipefail

# Below Linux's ephemeral range (32768-60999): there a port can look free to a connect probe yet
# fail to bind, because an outgoing connection happens to use it as its local port.
PORT_MIN=23306
PORT_MAX=23406
TRIED_PORTS=""

ADMIN_USER="${MARIADB_ADMIN_USER:-psadmin}"
ADMIN_PASSWORD="${MARIADB_ADMIN_PASSWORD:-psadmin-local}"

cmd="start"
case "${1:-}" in
  install)
    install_now=1
    ;;
  start | stop | status)
    cmd="$1"
    shift
    ;;
esac
DIR="${1:-/tmp/pulumi-sessions-mariadb}"
REQUESTED_PORT="${2:-}"

DATADIR="$DIR/data"
SOCKET="$DIR/mariadbd.sock"
PIDFILE="$DIR/mariadbd.pid"
PORTFILE="$DIR/port"
ERRLOG="$DIR/mariadbd.err"

log() { echo "mariadb.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# Debian installs the daemons in /usr/sbin, which a non-login shell may not have on PATH.
export PATH="$PATH:/usr/sbin:/sbin"

# The client account that can always reach the server over its socket: unix_socket authentication maps
# the OS user to the MariaDB account of the same name (mariadb-install-db creates root and --user).
os_user() { id -un; }

server_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

answers() {
  mariadb-admin --no-defaults --socket="$SOCKET" -u"$(os_user)" --connect-timeout=2 ping >/dev/null 2>&1
}

port_in_use() {
  # Succeeds when something accepts connections on the port.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
  if [[ -n "$REQUESTED_PORT" ]]; then
    port_in_use "$REQUESTED_PORT" && die "port $REQUESTED_PORT is already in use"
    echo "$REQUESTED_PORT"
    return
  fi
  local p
  for p in $(seq "$PORT_MIN" "$PORT_MAX"); do
    # Skip ports a previous attempt could not bind (see do_start).
    [[ " $TRIED_PORTS " == *" $p "* ]] && continue
    if ! port_in_use "$p"; then
      echo "$p"
      return
    fi
  done
  die "no free port between $PORT_MIN and $PORT_MAX"
}

install_packages() {
  if command -v mariadbd >/dev/null 2>&1 && command -v mariadb-install-db >/dev/null 2>&1 \
    && command -v mariadb >/dev/null 2>&1 && command -v mariadb-binlog >/dev/null 2>&1; then
    return
  fi
  [[ "$(id -u)" -eq 0 ]] || die "mariadb-server is not installed and installing it needs root (apt-get)"
  log "installing mariadb-server and mariadb-client with apt-get"
  # Serialize with dpkg's own lock rather than failing when another apt run holds it.
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update >&2
  apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends mariadb-server mariadb-client >&2
  command -v mariadbd >/dev/null 2>&1 || die "apt-get finished but mariadbd is still missing"
}

init_datadir() {
  if [[ -d "$DATADIR/mysql" ]]; then
    return
  fi
  log "initializing $DATADIR"
  rm -rf "$DATADIR"
  mkdir -p "$DATADIR"
  # --no-defaults: /etc/mysql may point at another datadir or socket (a system server's).
  mariadb-install-db --no-defaults --datadir="$DATADIR" --user="$(os_user)" \
    --auth-root-authentication-method=socket --skip-test-db >"$DIR/install-db.log" 2>&1 \
    || {
      cat "$DIR/install-db.log" >&2
      die "mariadb-install-db failed"
    }
}

start_server() {
  local port="$1"
  local -a args=(
    --no-defaults
    --datadir="$DATADIR"
    --socket="$SOCKET"
    --pid-file="$PIDFILE"
    --port="$port"
    --bind-address=127.0.0.1
    # No reverse DNS for client addresses: nothing may leave loopback, and accounts match on IPs.
    --skip-name-resolve
    --log-error="$ERRLOG"
    --tmpdir="$DIR"
    # A binary log and a server id, so that replicas (and mariadb-binlog) can open Binlog Dump threads.
    --log-bin=mariadb-bin
    --server-id=1
    # Small footprint: this server holds a handful of test tables and sessions.
    --innodb-buffer-pool-size=16M
    --innodb-log-file-size=16M
    --performance-schema=OFF
  )
  # mariadbd refuses to run as root unless told to.
  if [[ "$(id -u)" -eq 0 ]]; then
    args+=(--user=root)
  fi
  echo "$port" >"$PORTFILE"
  log "starting mariadbd on 127.0.0.1:$port (datadir $DATADIR)"
  # setsid + nohup: the server outlives the shell (and the test runner) that started it.
  # 8>&- 9>&-: the daemon must not inherit the locks, or it would hold them for its whole life.
  setsid nohup mariadbd "${args[@]}" >>"$DIR/mariadbd.out" 2>&1 </dev/null 8>&- 9>&- &
  # Usually setsid and nohup exec in place, so $! is mariadbd itself; under job control setsid forks
  # first, so a dead $! only counts once the pid file has had time to appear.
  local launched=$!
  local i
  for i in $(seq 1 120); do
    if answers; then
      return
    fi
    if ((i > 10)) && ! kill -0 "$launched" 2>/dev/null && ! server_pid >/dev/null; then
      # Someone else took the port between the check and the bind: the caller may pick another.
      if tail -n 5 "$ERRLOG" 2>/dev/null | grep -q "Address already in use"; then
        return 98
      fi
      tail -n 30 "$ERRLOG" >&2 2>/dev/null || true
      die "mariadbd exited during startup (log: $ERRLOG)"
    fi
    sleep 0.5
  done
  tail -n 30 "$ERRLOG" >&2 2>/dev/null || true
  die "mariadbd did not answer within 60 s (log: $ERRLOG)"
}

ensure_admin() {
  # Idempotent: re-running start keeps the account and resets its password to the configured one.
  local sql
  sql="CREATE USER IF NOT EXISTS '$ADMIN_USER'@'127.0.0.1' IDENTIFIED BY '$ADMIN_PASSWORD';
ALTER USER '$ADMIN_USER'@'127.0.0.1' IDENTIFIED BY '$ADMIN_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$ADMIN_USER'@'127.0.0.1' WITH GRANT OPTION;
CREATE USER IF NOT EXISTS '$ADMIN_USER'@'localhost' IDENTIFIED BY '$ADMIN_PASSWORD';
ALTER USER '$ADMIN_USER'@'localhost' IDENTIFIED BY '$ADMIN_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$ADMIN_USER'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;"
  mariadb --no-defaults --socket="$SOCKET" -u"$(os_user)" <<<"$sql" >&2 || die "could not create the admin account"
}

do_start() {
  mkdir -p "$DIR"
  if server_pid >/dev/null && answers; then
    cat "$PORTFILE"
    return
  fi
  install_packages
  # A server that is still starting (or dying) gets a moment to make up its mind.
  local i
  for i in $(seq 1 60); do
    server_pid >/dev/null || break
    if answers; then
      cat "$PORTFILE"
      return
    fi
    sleep 0.5
  done
  if server_pid >/dev/null; then
    die "a mariadbd (pid $(server_pid)) owns $DIR but does not answer; run '$0 stop $DIR' first"
  fi
  rm -f "$PIDFILE" "$SOCKET" "$SOCKET.lock"
  init_datadir
  # Servers started at once in different DIRs must not pick the same free port: one lock for all.
  exec 8>"${TMPDIR:-/tmp}/pulumi-sessions-mariadb-ports.lock"
  flock -w 600 8 || die "timed out waiting for the port lock"
  local port attempt rc
  for attempt in 1 2 3 4 5; do
    port="$(pick_port)"
    rc=0
    start_server "$port" || rc=$?
    [[ $rc -eq 0 ]] && break
    [[ $rc -eq 98 && -z "$REQUESTED_PORT" ]] || die "mariadbd could not listen on port $port"
    TRIED_PORTS="$TRIED_PORTS $port"
    log "port $port was taken meanwhile; trying another (attempt $attempt)"
  done
  [[ $rc -eq 0 ]] || die "no port could be bound after 5 attempts"
  exec 8>&-
  ensure_admin
  echo "$port"
}

do_stop() {
  local pid
  if ! pid="$(server_pid)"; then
    log "no server running in $DIR"
    rm -f "$PIDFILE"
    return
  fi
  log "stopping mariadbd (pid $pid)"
  kill -TERM "$pid"
  local i
  for i in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || {
      rm -f "$PIDFILE"
      return
    }
    sleep 0.5
  done
  die "mariadbd (pid $pid) did not stop within 60 s"
}

do_status() {
  if server_pid >/dev/null && answers; then
    cat "$PORTFILE"
    return
  fi
  exit 1
}

if [[ -n "${install_now:-}" ]]; then
  install_packages
  log "ready: $(mariadbd --version)"
  exit 0
fi

mkdir -p "$DIR"
# One caller at a time per DIR: parallel test files may all ask for the server at once.
exec 9>"$DIR/.lock"
flock -w 600 9 || die "timed out waiting for the lock on $DIR"

case "$cmd" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
esac
