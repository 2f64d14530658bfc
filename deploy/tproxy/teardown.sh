#!/usr/bin/env bash
# Undoes setup.sh (same arguments). Missing pieces are skipped, so it is safe to rerun.
set -uo pipefail
MARK=${TPROXY_MARK:-1}
TABLE=${TPROXY_TABLE:-100}
PRIO=${TPROXY_PRIO:-100}
iface=${1:?usage: teardown.sh IFACE PORT TCP_PORTS [UDP_PORTS]}; port=${2:?port}; tcp=${3:?tcp ports}; udp=${4:--}
ip rule del fwmark "$MARK" lookup "$TABLE" priority "$PRIO" 2>/dev/null
ip -6 rule del fwmark "$MARK" lookup "$TABLE" priority "$PRIO" 2>/dev/null
ip route flush table "$TABLE" 2>/dev/null
ip -6 route flush table "$TABLE" 2>/dev/null
command -v nft >/dev/null 2>&1 && nft delete table inet geoedge_intercept 2>/dev/null
for ipt in iptables ip6tables; do
  command -v $ipt >/dev/null 2>&1 || continue
  $ipt -t mangle -D PREROUTING -p tcp -m socket --transparent -j GEOEDGE_DIVERT 2>/dev/null
  $ipt -t mangle -D PREROUTING -p udp -m socket --transparent -j GEOEDGE_DIVERT 2>/dev/null
  [ "$tcp" != - ] && $ipt -t mangle -D PREROUTING -i "$iface" -p tcp -m multiport --dports "$tcp" -j TPROXY --on-port "$port" --tproxy-mark "$MARK/$MARK" 2>/dev/null
  [ "$udp" != - ] && $ipt -t mangle -D PREROUTING -i "$iface" -p udp -m multiport --dports "$udp" -j TPROXY --on-port "$port" --tproxy-mark "$MARK/$MARK" 2>/dev/null
  $ipt -t mangle -F GEOEDGE_DIVERT 2>/dev/null
  $ipt -t mangle -X GEOEDGE_DIVERT 2>/dev/null
done
echo "tproxy: interception removed"
exit 0
