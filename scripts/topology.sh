#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# scripts/topology.sh - the three-namespace test/demo network.
#
#   ${P}cli 10.${N}.1.2 --veth-- 10.${N}.1.1 ${P}gw 10.${N}.2.1 --veth-- 10.${N}.2.2 ${P}srv
#   (clients, default via gw)    (snigate; nft: tcp/443 -> :8443)     (TLS servers)
#
# usage: topology.sh up|down [PREFIX [NET]]   (defaults: sg- 201)
# IPv6 too: fd00:${N}:1::2 / fd00:${N}:1::1 and fd00:${N}:2::1 / fd00:${N}:2::2.
set -e
P=${2:-sg-}
N=${3:-201}
CLI=${P}cli GW=${P}gw SRV=${P}srv

down() {
	for n in $CLI $GW $SRV; do ip netns del "$n" 2>/dev/null || true; done
}

up() {
	down
	for n in $CLI $GW $SRV; do
		ip netns add "$n"
		ip -n "$n" link set lo up
	done
	ip link add "${P}c0" type veth peer name "${P}g0"
	ip link add "${P}g1" type veth peer name "${P}s0"
	ip link set "${P}c0" netns "$CLI"
	ip link set "${P}g0" netns "$GW"
	ip link set "${P}g1" netns "$GW"
	ip link set "${P}s0" netns "$SRV"
	ip -n "$CLI" addr add "10.$N.1.2/24" dev "${P}c0"
	ip -n "$GW" addr add "10.$N.1.1/24" dev "${P}g0"
	ip -n "$GW" addr add "10.$N.2.1/24" dev "${P}g1"
	ip -n "$SRV" addr add "10.$N.2.2/24" dev "${P}s0"
	ip -n "$CLI" addr add "fd00:$N:1::2/64" dev "${P}c0" nodad
	ip -n "$GW" addr add "fd00:$N:1::1/64" dev "${P}g0" nodad
	ip -n "$GW" addr add "fd00:$N:2::1/64" dev "${P}g1" nodad
	ip -n "$SRV" addr add "fd00:$N:2::2/64" dev "${P}s0" nodad
	for l in "$CLI ${P}c0" "$GW ${P}g0" "$GW ${P}g1" "$SRV ${P}s0"; do
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip -n "$CLI" route add default via "10.$N.1.1"
	ip -n "$SRV" route add default via "10.$N.2.1"
	ip -n "$CLI" -6 route add default via "fd00:$N:1::1"
	ip -n "$SRV" -6 route add default via "fd00:$N:2::1"
	ip netns exec "$GW" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	# the gateway: TLS from the client side goes to snigate
	ip netns exec "$GW" nft -f - <<NFT
table inet snigate_redirect {
	chain prerouting {
		type nat hook prerouting priority dstnat;
		iifname "${P}g0" tcp dport 443 redirect to :8443
	}
}
NFT
}

case "$1" in
up) up ;;
down) down ;;
*) echo "usage: $0 up|down [PREFIX [NET]]" >&2; exit 2 ;;
esac
