#!/usr/bin/env bash
# Installs the Debian packages the test suite and benchmarks use, only when missing.
# Idempotent: a second run does nothing. Services are never started by apt
# (policy-rc.d), because tests start their own private instances.
set -euo pipefail

need=()
check() { # check BINARY PACKAGE
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || need+=("$2")
}
check dig bind9-dnsutils
check kdig knot-dnsutils
check dnsperf dnsperf
check pdns_server pdns-server
check unbound unbound         # validating resolver for the DNSSEC tests
check delv bind9-dnsutils
[ -f /usr/lib/x86_64-linux-gnu/pdns/libbindbackend.so ] || ls /usr/lib/*/pdns/libbindbackend.so >/dev/null 2>&1 || need+=(pdns-backend-bind)
ls /usr/lib/*/pdns/libgeoipbackend.so >/dev/null 2>&1 || need+=(pdns-backend-geoip)
ls /usr/lib/*/pdns/libgmysqlbackend.so >/dev/null 2>&1 || need+=(pdns-backend-mysql)
check mariadbd mariadb-server
check ip iproute2
check taskset util-linux
check nginx nginx
check haproxy haproxy
check iperf3 iperf3
check wrk wrk
check chromium chromium
check systemd-analyze systemd   # verifies deploy/systemd units
# Real clients of geoctl's PowerDNS API (test/clients-*.test.ts): lego with the pebble ACME
# test server, lexicon, and octoDNS (its Python code is vendored in test/clients/python;
# Debian supplies the libraries it needs).
check lego lego
check pebble pebble
check lexicon lexicon
check openssl openssl
for mod in yaml:python3-yaml requests:python3-requests dns:python3-dnspython; do
  /usr/bin/python3 -c "import ${mod%%:*}" >/dev/null 2>&1 || need+=("${mod#*:}")
done
/usr/bin/python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
# nginx stream (relay tests and bench: PROXY protocol peer, stream proxy baseline)
ls /usr/lib/nginx/modules/ngx_stream_module.so >/dev/null 2>&1 || need+=(libnginx-mod-stream)

if [ ${#need[@]} -eq 0 ]; then
  echo "setup-test-deps: all present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-test-deps: missing ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "setup-test-deps: installing ${need[*]}"
# Keep apt from starting nginx/pdns/haproxy system services during install.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1
fi
trap '[ $created_policy = 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "setup-test-deps: done"
