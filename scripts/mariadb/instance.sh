#!/usr/bin/env bash
# A private mariadbd for tests and benchmarks: its own data directory, port,
# socket, server-id and binary log, never touching the system's MariaDB.
#
#   instance.sh start DIR PORT SERVER_ID [CNF]   initialise DIR (once) and start; waits until it answers
#   instance.sh stop  DIR                        stop the server started in DIR (by its pid file)
#   instance.sh clean DIR                        stop it and delete DIR
#   instance.sh status DIR                       exit 0 if it is running
#
# CNF is read with --defaults-file (e.g. deploy/mariadb/primary.cnf); the
# command line then overrides paths, port, bind address and server-id, so the
# deploy files are what the tests run. root has an empty password and may log
# in over TCP from 127.0.0.1. Everything the server writes stays in DIR.
set -euo pipefail

die() { echo "instance.sh: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: instance.sh start DIR PORT SERVER_ID [CNF] | stop DIR | clean DIR | status DIR"
cmd=$1
dir=$2

pidfile() { echo "$dir/mysqld.pid"; }
running() {
  [ -f "$(pidfile)" ] || return 1
  local pid; pid=$(cat "$(pidfile)" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

start() {
  local port=$1 sid=$2 cnf=${3:-}
  [[ $port =~ ^[0-9]+$ ]] || die "port must be a number"
  [[ $sid =~ ^[0-9]+$ ]] || die "server-id must be a number"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if running; then echo "instance.sh: already running in $dir"; return 0; fi
  local user; user=$(id -un)
  # A tmpdir of its own: bootstraps running at the same time in one /tmp can
  # collide on temporary table files.
  mkdir -p "$dir/tmp"
  if [ ! -d "$dir/data/mysql" ]; then
    rm -rf "$dir/data"
    mariadb-install-db --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --user="$user" \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 \
      || { cat "$dir/install.log" >&2; die "mariadb-install-db failed in $dir"; }
  fi
  local defaults=(--no-defaults)
  if [ -n "$cnf" ]; then
    [ -f "$cnf" ] || die "no such config file: $cnf"
    defaults=(--defaults-file="$(cd "$(dirname "$cnf")" && pwd)/$(basename "$cnf")")
  fi
  # setsid: the server outlives this script and is not hit by the caller's Ctrl-C.
  setsid mariadbd "${defaults[@]}" --user="$user" --datadir="$dir/data" \
    --port="$port" --bind-address=127.0.0.1 --socket="$dir/mysqld.sock" --pid-file="$(pidfile)" \
    --server-id="$sid" --log-bin=mysql-bin --log-error="$dir/error.log" --tmpdir="$dir/tmp" \
    --innodb-buffer-pool-size=128M --innodb-log-file-size=16M \
    </dev/null >>"$dir/mariadbd.out" 2>&1 &
  local child=$!
  for _ in $(seq 1 300); do
    if ! kill -0 "$child" 2>/dev/null; then
      tail -n 20 "$dir/error.log" >&2 || true
      die "mariadbd in $dir exited during start-up (port $port taken?)"
    fi
    if mariadb-admin --no-defaults --socket="$dir/mysqld.sock" -uroot ping >/dev/null 2>&1; then
      echo "instance.sh: ready in $dir on 127.0.0.1:$port (server-id $sid)"
      return 0
    fi
    sleep 0.1
  done
  tail -n 30 "$dir/error.log" >&2 || true
  die "mariadbd in $dir did not answer within 30 s"
}

stop() {
  running || { echo "instance.sh: not running in $dir"; return 0; }
  local pid; pid=$(cat "$(pidfile)")
  kill -TERM "$pid"
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || { echo "instance.sh: stopped $dir"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  echo "instance.sh: killed $dir after 30 s"
}

case $cmd in
  start) [ $# -ge 4 ] || die "usage: instance.sh start DIR PORT SERVER_ID [CNF]"; start "$3" "$4" "${5:-}" ;;
  stop) stop ;;
  clean) stop; rm -rf -- "$dir" ;;
  status) running ;;
  *) die "unknown command $cmd" ;;
esac
