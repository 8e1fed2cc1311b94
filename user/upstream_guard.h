/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/upstream_guard.h - where an allowed connection may not go.
 * With --upstream sni the client chooses the name we dial, so a name that
 * resolves to loopback, link-local, unspecified, multicast/broadcast or one
 * of the gateway's own addresses would reach services behind the gateway
 * (SSRF). With --upstream origdst --verify-dns the name must resolve to the
 * address the client dialled, so a permitted name cannot front for another
 * host (SNI spoofing).
 */
#ifndef __SNIGATE_UPSTREAM_GUARD_H
#define __SNIGATE_UPSTREAM_GUARD_H

#include <stdbool.h>
#include <sys/socket.h>
#include "proxy.h"
#include "resolve.h"

/* "ADDR/BITS" (or a bare address: all bits) into *out. Returns 0 or -EINVAL. */
int guard_parse_net(const char *s, struct net_block *out);

/* True when name reads as an IPv4 address the way getaddrinfo() reads it
 * (inet_aton: "10.1.2.3", but also "10.1", "0x7f.1", "2130706433").
 */
bool guard_name_is_ip(const char *name);

/* Why ss must not be dialled ("loopback", "link-local", ...), or NULL when
 * it may be. --allow-upstream-net blocks override every rule.
 */
const char *guard_addr_forbidden(const struct proxy_opts *o, const struct sockaddr_storage *ss);

/* Drop the addresses of a that must not be dialled. Returns how many stay;
 * when none does, *why says why the first one went.
 */
int guard_filter(const struct proxy_opts *o, struct resolve_addrs *a, const char **why,
		 struct sockaddr_storage *first_refused);

/* True when a resolved name includes odst's address (ports ignored). */
bool guard_addrs_include(const struct resolve_addrs *a, const struct sockaddr_storage *odst);

#endif /* __SNIGATE_UPSTREAM_GUARD_H */
