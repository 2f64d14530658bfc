#!/usr/bin/env bash
# Undoes setup.sh (same arguments). Missing pieces are skipped, so it is safe to rerun.
set -uo pipefail
MARK=${TPROXY_MARK:-1}
TABLE=${TPROXY_TABLE:-100}
PRIO=${TPROXY_PRIO:-100}

case "${1:-}" in
  relay)
    iface=${2:?backend interface}
    ip rule del fwmark "$MARK" lookup "$TABLE" priority "$PRIO" 2>/dev/null
    ip -6 rule del fwmark "$MARK" lookup "$TABLE" priority "$PRIO" 2>/dev/null
    ip rule del iif "$iface" lookup "$TABLE" priority "$((PRIO + 1))" 2>/dev/null
    ip -6 rule del iif "$iface" lookup "$TABLE" priority "$((PRIO + 1))" 2>/dev/null
    ip route flush table "$TABLE" 2>/dev/null
    ip -6 route flush table "$TABLE" 2>/dev/null
    command -v nft >/dev/null 2>&1 && nft delete table inet geoedge_tproxy 2>/dev/null
    if command -v iptables >/dev/null 2>&1; then
      iptables -t mangle -D PREROUTING -p tcp -m socket --transparent -j GEOEDGE_TPROXY 2>/dev/null
      iptables -t mangle -D PREROUTING -p udp -m socket --transparent -j GEOEDGE_TPROXY 2>/dev/null
      iptables -t mangle -F GEOEDGE_TPROXY 2>/dev/null
      iptables -t mangle -X GEOEDGE_TPROXY 2>/dev/null
    fi
    echo "transparent: relay setup removed"
    ;;
  backend)
    ip route del "${3:-default}" via "${2:?relay ip}" 2>/dev/null
    echo "transparent: backend route removed"
    ;;
  *) echo "usage: teardown.sh relay BACKEND_IFACE | backend RELAY_IP [CLIENT_NET]"; exit 2 ;;
esac
exit 0
