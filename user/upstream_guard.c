// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/upstream_guard.c - addresses an allowed name may not lead to (see
 * upstream_guard.h). The gateway's own addresses are read with getifaddrs()
 * and re-read at most every GUARD_IFADDR_MS, so an address added later is
 * refused too.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "mono.h"
#include "upstream_guard.h"

#define GUARD_IFADDR_MS	5000
#define GUARD_OWN_MAX	256

static struct net_block own[GUARD_OWN_MAX];
static int nown;
static uint64_t own_read_ms;

int guard_parse_net(const char *s, struct net_block *out)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long bits;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	memset(out, 0, sizeof(*out));
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, out->addr) == 1)
		out->family = AF_INET6;
	else
		return -EINVAL;
	bits = out->family == AF_INET ? 32 : 128;
	if (slash) {
		long max = bits;

		bits = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || bits < 0 || bits > max)
			return -EINVAL;
	}
	out->bits = bits;
	return 0;
}

bool guard_name_is_ip(const char *name)
{
	struct in_addr a;

	return inet_aton(name, &a) != 0;
}

/* The address of ss as (family, bytes); an IPv4-mapped IPv6 address counts
 * as the IPv4 address it carries.
 */
static int addr_bytes(const struct sockaddr_storage *ss, __u8 out[16])
{
	if (ss->ss_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return AF_INET;
	}
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(out, &a->s6_addr[12], 4);
			return AF_INET;
		}
		memcpy(out, a, 16);
		return AF_INET6;
	}
	return 0;
}

static bool in_block(int family, const __u8 *a, const struct net_block *n)
{
	int full = n->bits / 8, rest = n->bits % 8;

	if (family != n->family || memcmp(a, n->addr, full))
		return false;
	return !rest || ((a[full] ^ n->addr[full]) & (0xff << (8 - rest))) == 0;
}

static void own_refresh(void)
{
	struct ifaddrs *ifa, *i;
	uint64_t now = mono_ms();

	if (own_read_ms && now - own_read_ms < GUARD_IFADDR_MS)
		return;
	own_read_ms = now;
	if (getifaddrs(&ifa))
		return;		/* keep the previous list */
	nown = 0;
	for (i = ifa; i && nown < GUARD_OWN_MAX; i = i->ifa_next) {
		struct sockaddr_storage ss = {};

		if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET &&
				     i->ifa_addr->sa_family != AF_INET6))
			continue;
		memcpy(&ss, i->ifa_addr, i->ifa_addr->sa_family == AF_INET ?
					 sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		own[nown].family = addr_bytes(&ss, own[nown].addr);
		own[nown].bits = own[nown].family == AF_INET ? 32 : 128;
		nown++;
	}
	freeifaddrs(ifa);
}

const char *guard_addr_forbidden(const struct proxy_opts *o, const struct sockaddr_storage *ss)
{
	__u8 a[16] = {};
	int family = addr_bytes(ss, a), i;

	for (i = 0; i < o->nupstream_nets; i++)
		if (in_block(family, a, &o->upstream_nets[i]))
			return NULL;
	if (family == AF_INET) {
		if (a[0] == 127)
			return "loopback";
		if (a[0] == 0)
			return "unspecified";
		if (a[0] == 169 && a[1] == 254)
			return "link-local";
		if (a[0] >= 224 && a[0] < 240)
			return "multicast";
		if (a[0] >= 240)
			return "reserved/broadcast";
	} else if (family == AF_INET6) {
		const struct in6_addr *a6 = (const struct in6_addr *)a;

		if (IN6_IS_ADDR_LOOPBACK(a6))
			return "loopback";
		if (IN6_IS_ADDR_UNSPECIFIED(a6))
			return "unspecified";
		if (IN6_IS_ADDR_LINKLOCAL(a6))
			return "link-local";
		if (IN6_IS_ADDR_MULTICAST(a6))
			return "multicast";
	} else {
		return "not an IP address";
	}
	own_refresh();
	for (i = 0; i < nown; i++)
		if (in_block(family, a, &own[i]))
			return "the gateway's own address";
	return NULL;
}

int guard_filter(const struct proxy_opts *o, struct resolve_addrs *a, const char **why,
		 struct sockaddr_storage *first_refused)
{
	const char *w;
	int i, n = 0;

	*why = NULL;
	for (i = 0; i < a->n; i++) {
		w = guard_addr_forbidden(o, &a->a[i]);
		if (w) {
			if (!*why) {
				*why = w;
				*first_refused = a->a[i];
			}
			continue;
		}
		a->a[n++] = a->a[i];
	}
	a->n = n;
	return n;
}

bool guard_addrs_include(const struct resolve_addrs *a, const struct sockaddr_storage *odst)
{
	__u8 want[16] = {}, got[16];
	int fw = addr_bytes(odst, want), i;

	for (i = 0; i < a->n; i++) {
		memset(got, 0, sizeof(got));
		if (addr_bytes(&a->a[i], got) == fw && memcmp(got, want, 16) == 0)
			return true;
	}
	return false;
}
