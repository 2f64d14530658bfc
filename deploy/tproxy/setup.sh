#!/usr/bin/env bash
# Host setup for edge-relay TPROXY interception (a listener with `tproxy: true`):
# traffic that only passes through this host (a router, a gateway) and is
# addressed to OTHER hosts is handed to the relay's listener, which sees the
# original destination (routes `dest`, upstream `original_destination`). Run as root.
#
#   setup.sh IFACE PORT TCP_PORTS [UDP_PORTS]
#     IFACE      the interface the intercepted clients come in on
#     PORT       the relay listener's port (listen: ["0.0.0.0:PORT", "[::]:PORT"], tproxy: true)
#     TCP_PORTS  destination ports to intercept, comma-separated (443,8443), or - for none
#     UDP_PORTS  likewise for UDP (53), or - / omitted for none
#
# What it sets (IPv4 and IPv6), the classic TPROXY recipe:
#   - TPROXY rule: packets arriving on IFACE for those ports go to the local socket on
#     PORT, marked MARK (nft `tproxy to :PORT`, or iptables `-j TPROXY --on-port`);
#   - packets of sockets the relay already holds with IP_TRANSPARENT (accepted
#     connections, and `transparent: true` upstream connects) are marked too
#     (nft `socket transparent 1`, iptables `-m socket --transparent`);
#   - `ip rule fwmark MARK lookup TABLE` + `local 0.0.0.0/0 dev lo table TABLE`:
#     marked packets are delivered locally whatever their destination.
# nftables when `nft` exists (TPROXY_BACKEND=iptables forces iptables/ip6tables).
# The kernel needs nft_tproxy + nft_socket, or xt_TPROXY + xt_socket (built in, or
# modprobe). Undo with teardown.sh (same arguments).
set -euo pipefail
MARK=${TPROXY_MARK:-1}
TABLE=${TPROXY_TABLE:-100}
PRIO=${TPROXY_PRIO:-100}
iface=${1:-}; port=${2:-}; tcp=${3:-}; udp=${4:--}
if [ -z "$iface" ] || [ -z "$port" ] || [ -z "$tcp" ]; then sed -n '2,26p' "$0"; exit 2; fi
backend=${TPROXY_BACKEND:-$(command -v nft >/dev/null 2>&1 && echo nft || echo iptables)}

ip rule add fwmark "$MARK" lookup "$TABLE" priority "$PRIO"
ip route add local 0.0.0.0/0 dev lo table "$TABLE"
# IPv6 where the host has it (a kernel booted with ipv6.disable=1 has no -6 tables).
v6=1
{ ip -6 rule add fwmark "$MARK" lookup "$TABLE" priority "$PRIO" && ip -6 route add local ::/0 dev lo table "$TABLE"; } 2>/dev/null \
  || { v6=0; echo "tproxy: no IPv6 policy routing (IPv6 disabled?): IPv4 only"; }

if [ "$backend" = nft ]; then
  nft -f - <<NFT
table inet geoedge_intercept {
  chain prerouting {
    type filter hook prerouting priority mangle; policy accept;
    meta l4proto { tcp, udp } socket transparent 1 meta mark set $MARK accept
    $( [ "$tcp" != - ] && echo "iifname \"$iface\" meta l4proto tcp th dport { $tcp } tproxy to :$port meta mark set $MARK accept" )
    $( [ "$udp" != - ] && echo "iifname \"$iface\" meta l4proto udp th dport { $udp } tproxy to :$port meta mark set $MARK accept" )
  }
}
NFT
else
  for ipt in iptables $([ $v6 = 1 ] && echo ip6tables); do
    $ipt -t mangle -N GEOEDGE_DIVERT
    $ipt -t mangle -A GEOEDGE_DIVERT -j MARK --set-mark "$MARK"
    $ipt -t mangle -A GEOEDGE_DIVERT -j ACCEPT
    $ipt -t mangle -A PREROUTING -p tcp -m socket --transparent -j GEOEDGE_DIVERT
    $ipt -t mangle -A PREROUTING -p udp -m socket --transparent -j GEOEDGE_DIVERT
    [ "$tcp" != - ] && $ipt -t mangle -A PREROUTING -i "$iface" -p tcp -m multiport --dports "$tcp" -j TPROXY --on-port "$port" --tproxy-mark "$MARK/$MARK"
    [ "$udp" != - ] && $ipt -t mangle -A PREROUTING -i "$iface" -p udp -m multiport --dports "$udp" -j TPROXY --on-port "$port" --tproxy-mark "$MARK/$MARK"
  done
fi
echo "tproxy: $backend rules on $iface (tcp ${tcp}, udp ${udp}) → port $port, fwmark $MARK → table $TABLE"
