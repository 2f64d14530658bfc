#!/usr/bin/env bash
# Host setup for edge-relay transparent mode (upstream group `transparent: true`),
# the equivalent of nginx `proxy_bind $remote_addr transparent`. Run as root.
#
#   setup.sh relay   BACKEND_IFACE      on the relay host (the last hop)
#   setup.sh backend RELAY_IP CLIENT_NET   on each backend: send replies for clients back via the relay
#
# Relay side: the relay binds its upstream sockets to the client's address
# (IP_TRANSPARENT). The backend's replies are addressed to that foreign address;
# policy routing hands them to the local stack:
#   - packets marked MARK look up table TABLE, whose only route says "everything is local";
#   - the mangle rule marks packets that belong to a transparent socket (nft `socket
#     transparent`, or iptables `-m socket --transparent`);
#   - without nft/iptables, packets arriving on BACKEND_IFACE use table TABLE instead
#     (fine for a backend-only interface; it also makes the backend unable to route
#     through this host).
# Teardown: teardown.sh with the same arguments.
set -euo pipefail
MARK=${TPROXY_MARK:-1}
TABLE=${TPROXY_TABLE:-100}
PRIO=${TPROXY_PRIO:-100}

relay() {
  local iface=$1
  ip rule add fwmark "$MARK" lookup "$TABLE" priority "$PRIO"
  ip route add local 0.0.0.0/0 dev lo table "$TABLE"
  ip -6 rule add fwmark "$MARK" lookup "$TABLE" priority "$PRIO" 2>/dev/null || true
  ip -6 route add local ::/0 dev lo table "$TABLE" 2>/dev/null || true
  if command -v nft >/dev/null 2>&1; then
    nft add table inet geoedge_tproxy
    nft add chain inet geoedge_tproxy prerouting '{ type filter hook prerouting priority mangle; }'
    nft add rule inet geoedge_tproxy prerouting meta l4proto '{ tcp, udp }' socket transparent 1 meta mark set "$MARK"
    echo "transparent: nft mangle rule + fwmark $MARK → table $TABLE"
  elif command -v iptables >/dev/null 2>&1; then
    iptables -t mangle -N GEOEDGE_TPROXY
    iptables -t mangle -A GEOEDGE_TPROXY -j MARK --set-mark "$MARK"
    iptables -t mangle -A GEOEDGE_TPROXY -j ACCEPT
    iptables -t mangle -I PREROUTING -p tcp -m socket --transparent -j GEOEDGE_TPROXY
    iptables -t mangle -I PREROUTING -p udp -m socket --transparent -j GEOEDGE_TPROXY
    echo "transparent: iptables mangle rules + fwmark $MARK → table $TABLE"
  else
    ip rule add iif "$iface" lookup "$TABLE" priority "$((PRIO + 1))"
    ip -6 rule add iif "$iface" lookup "$TABLE" priority "$((PRIO + 1))" 2>/dev/null || true
    echo "transparent: no nft/iptables; packets from $iface → table $TABLE"
  fi
}

backend() {
  local relay_ip=$1 client_net=${2:-default}
  ip route replace "$client_net" via "$relay_ip"
  echo "transparent: backend replies to $client_net go via $relay_ip"
}

case "${1:-}" in
  relay) relay "${2:?backend interface}" ;;
  backend) backend "${2:?relay ip}" "${3:-default}" ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
