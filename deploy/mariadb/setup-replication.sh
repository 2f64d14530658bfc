#!/usr/bin/env bash
# Binlog replication from NS1's MariaDB (primary) to NS2's (replica), as the
# blog setup did by hand:
#   1. on the primary: create the replication user (or reset its password) with
#      REPLICATION SLAVE; these statements are kept out of the binlog, so a
#      re-run never replays them on a replica that lacks the user;
#   2. if the replica already replicates from this primary with both threads
#      running, stop here (the script is idempotent);
#   3. take the binlog position: with --databases, a consistent dump of those
#      databases (mariadb-dump --single-transaction --master-data=2) carries it
#      and is loaded into the replica; without, SHOW MASTER STATUS is used
#      (a fresh primary whose data will all arrive through the binlog);
#   4. on the replica: STOP SLAVE; CHANGE MASTER TO ...; START SLAVE; then wait
#      until the IO and SQL threads both run, or print why not and fail.
#
# Usage:
#   REPL_PASSWORD=... setup-replication.sh --primary HOST:PORT --replica HOST:PORT
#       [--databases "pdns ..."] [--repl-user repl] [--repl-host '%']
#       [--primary-as-seen-by-replica HOST:PORT]
# Admin logins come from the environment: PRIMARY_ADMIN_USER / PRIMARY_ADMIN_PASSWORD,
# REPLICA_ADMIN_USER / REPLICA_ADMIN_PASSWORD (default root, empty password).
# Passwords are passed through MYSQL_PWD and stdin, never on a command line.
set -euo pipefail

die() { echo "setup-replication: $*" >&2; exit 1; }
primary='' replica='' databases='' repl_user=repl repl_host='%' seen=''
while [ $# -gt 0 ]; do
  case $1 in
    --primary) primary=$2; shift 2 ;;
    --replica) replica=$2; shift 2 ;;
    --databases) databases=$2; shift 2 ;;
    --repl-user) repl_user=$2; shift 2 ;;
    --repl-host) repl_host=$2; shift 2 ;;
    --primary-as-seen-by-replica) seen=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[ -n "$primary" ] && [ -n "$replica" ] || die "--primary HOST:PORT and --replica HOST:PORT are required"
[ -n "${REPL_PASSWORD:-}" ] || die "set REPL_PASSWORD (the replication user's password)"
[ -n "$seen" ] || seen=$primary
hostof() { echo "${1%:*}"; }
portof() { local p=${1##*:}; [[ $p =~ ^[0-9]+$ ]] || die "no port in $1"; echo "$p"; }
sqlstr() { printf "'%s'" "$(printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/''/g")"; }

on_primary() {
  MYSQL_PWD=${PRIMARY_ADMIN_PASSWORD:-} mariadb --no-defaults -h "$(hostof "$primary")" -P "$(portof "$primary")" \
    -u "${PRIMARY_ADMIN_USER:-root}" --batch --skip-column-names "$@"
}
replica_sql() {
  MYSQL_PWD=${REPLICA_ADMIN_PASSWORD:-} mariadb --no-defaults -h "$(hostof "$replica")" -P "$(portof "$replica")" \
    -u "${REPLICA_ADMIN_USER:-root}" "$@"
}
on_replica() { replica_sql --batch --skip-column-names "$@"; }
# One field of SHOW SLAVE STATUS (vertical output keeps the names).
slave_field() { replica_sql -E -e 'SHOW SLAVE STATUS' | sed -n "s/^ *$1: //p"; }
threads_running() { [ "$(slave_field Slave_IO_Running)" = Yes ] && [ "$(slave_field Slave_SQL_Running)" = Yes ]; }

# 1. The replication user, outside the binlog.
on_primary <<SQL
SET SESSION sql_log_bin = 0;
CREATE USER IF NOT EXISTS $(sqlstr "$repl_user")@$(sqlstr "$repl_host") IDENTIFIED BY $(sqlstr "$REPL_PASSWORD");
ALTER USER $(sqlstr "$repl_user")@$(sqlstr "$repl_host") IDENTIFIED BY $(sqlstr "$REPL_PASSWORD");
GRANT REPLICATION SLAVE ON *.* TO $(sqlstr "$repl_user")@$(sqlstr "$repl_host");
SQL
[ "$(on_primary -e 'SELECT @@log_bin')" = 1 ] || die "the primary has no binary log (log-bin); see deploy/mariadb/primary.cnf"

# 2. Already done?
if [ "$(slave_field Master_Host)" = "$(hostof "$seen")" ] && [ "$(slave_field Master_Port)" = "$(portof "$seen")" ]; then
  if threads_running; then echo "setup-replication: $replica already replicates from $seen"; exit 0; fi
fi

# 3. The position (and, for existing databases, the data it belongs to).
if [ -n "$databases" ]; then
  dump=$(mktemp); trap 'rm -f "$dump"' EXIT
  # shellcheck disable=SC2086 # the database list is meant to split
  MYSQL_PWD=${PRIMARY_ADMIN_PASSWORD:-} mariadb-dump --no-defaults -h "$(hostof "$primary")" -P "$(portof "$primary")" \
    -u "${PRIMARY_ADMIN_USER:-root}" --single-transaction --master-data=2 --routines --triggers --databases $databases >"$dump"
  file=$(sed -n "s/^-- CHANGE MASTER TO MASTER_LOG_FILE='\([^']*\)'.*/\1/p" "$dump" | head -n1)
  pos=$(sed -n "s/^-- CHANGE MASTER TO .*MASTER_LOG_POS=\([0-9]*\).*/\1/p" "$dump" | head -n1)
  on_replica -e 'STOP SLAVE' || true
  on_replica <"$dump"
else
  read -r file pos _ < <(on_primary -e 'SHOW MASTER STATUS')
fi
[ -n "${file:-}" ] && [ -n "${pos:-}" ] || die "could not read the primary's binlog position"

# 4. Point the replica at it.
on_replica <<SQL
STOP SLAVE;
CHANGE MASTER TO
  MASTER_HOST = $(sqlstr "$(hostof "$seen")"),
  MASTER_PORT = $(portof "$seen"),
  MASTER_USER = $(sqlstr "$repl_user"),
  MASTER_PASSWORD = $(sqlstr "$REPL_PASSWORD"),
  MASTER_LOG_FILE = $(sqlstr "$file"),
  MASTER_LOG_POS = $pos,
  MASTER_USE_GTID = no,
  MASTER_CONNECT_RETRY = 5;
START SLAVE;
SQL
for _ in $(seq 1 100); do
  if threads_running; then echo "setup-replication: $replica replicates from $seen at $file:$pos"; exit 0; fi
  sleep 0.2
done
echo "setup-replication: replication did not start:" >&2
replica_sql -E -e 'SHOW SLAVE STATUS' | grep -E 'Running|Last_(IO_|SQL_)?Err' >&2 || true
exit 1
