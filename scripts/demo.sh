#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# scripts/demo.sh - `sudo make demo`: snigate on a three-namespace network.
#
#   sgd-cli (curl) --> sgd-gw (nft redirect :443 -> snigate :8443) --> sgd-srv (TLS server)
#
# One allowed and one blocked HTTPS request, the gateway's log and counters,
# then everything it created is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (sudo make demo)" >&2; exit 1; }

P=sgd- N=203
PIN=/sys/fs/bpf/snigate-demo
WORK=$(mktemp -d /tmp/snigate-demo.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	scripts/topology.sh down "$P" "$N"
	rm -rf "$PIN" "$WORK"
}
trap cleanup EXIT INT TERM

echo "== topology: ${P}cli -> ${P}gw -> ${P}srv"
scripts/topology.sh up "$P" "$N"

echo "== TLS server for www.allowed.demo and www.blocked.demo in ${P}srv"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=demo \
	-addext "subjectAltName=DNS:www.allowed.demo,DNS:www.blocked.demo" \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
ip netns exec "${P}srv" openssl s_server -quiet -accept 443 -www \
	-cert "$WORK/cert.pem" -key "$WORK/key.pem" >/dev/null 2>&1 &
pids+=($!)

printf '# allow every subdomain of allowed.demo\n*.allowed.demo\n' >"$WORK/allow.txt"
printf '127.0.0.1 localhost\n10.%s.2.2 www.allowed.demo www.blocked.demo\n' "$N" >"$WORK/hosts"
echo "== snigate in ${P}gw, allow file:"
sed 's/^/   /' "$WORK/allow.txt"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
nsenter --net=/var/run/netns/${P}gw unshare -m sh -c \
	"mount --bind $WORK/hosts /etc/hosts; exec build/snigate --pin-dir $PIN proxy --allow-file $WORK/allow.txt" \
	>"$WORK/gw.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	nsenter --net=/var/run/netns/${P}gw ss -ltn | grep -q ':8443 ' && break
	sleep 0.1
done

curl_demo() {
	ip netns exec "${P}cli" curl -sS --max-time 5 --cacert "$WORK/cert.pem" \
		--resolve "$1:443:10.$N.2.2" "https://$1/" -o /dev/null -w "   HTTP %{http_code}\n" 2>&1 | sed 's/^curl/   curl/'
}
echo "== curl https://www.allowed.demo/ (allowed)"
curl_demo www.allowed.demo || true
echo "== curl https://www.blocked.demo/ (not in the allow file)"
curl_demo www.blocked.demo || true
sleep 0.3
echo "== gateway log"
sed 's/^/   /' "$WORK/gw.log"
echo "== snigate stats"
build/snigate --pin-dir "$PIN" stats | grep -v ' 0$' | sed 's/^/   /'
