#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# scripts/bench/haproxy-redirect.sh - HAProxy as a proxy under test in peerbench,
# so that it runs transparent (nft redirect) like snigate: the same conntrack
# and NAT work per connection. The configuration is peerbench's own HAProxy
# peer configuration (nbthread 1, splice-auto, req.ssl_sni), written here.
#   env (from peerbench): PB_LISTEN PB_UPSTREAM PB_SNI PB_WORKDIR
set -e
cfg=${PB_WORKDIR:?}/haproxy-redirect.cfg
cat >"$cfg" <<CFG
global
    maxconn 5000
    nbthread 1
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option splice-auto
frontend fe
    bind ${PB_LISTEN:?}
    tcp-request inspect-delay 5s
    tcp-request content accept if { req.ssl_hello_type 1 }
    use_backend be if { req.ssl_sni -i ${PB_SNI:?} }
    default_backend deny
backend be
    server s1 ${PB_UPSTREAM:?}
backend deny
    tcp-request content reject
CFG
exec haproxy -db -f "$cfg"
