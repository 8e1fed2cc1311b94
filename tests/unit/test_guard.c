// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/unit/test_guard.c - user/upstream_guard.c, no root: which names read
 * as IP addresses, which upstream addresses are forbidden (IPv4-mapped IPv6
 * included), what --allow-upstream-net lifts, CIDR syntax, and the ECH rule
 * of include/policy_match.h. Prints `[unit/guard <check>] PASS|FAIL: why`.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "pattern.h"
#include "upstream_guard.h"

static int failed, passed;

static void report(const char *name, const char *bad)
{
	if (bad[0]) {
		printf("[unit/guard %s] FAIL: %s\n", name, bad);
		failed++;
	} else {
		printf("[unit/guard %s] PASS\n", name);
		passed++;
	}
}

static struct sockaddr_storage ss_of(const char *ip)
{
	struct sockaddr_storage ss = {};

	if (strchr(ip, ':')) {
		ss.ss_family = AF_INET6;
		inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&ss)->sin6_addr);
	} else {
		ss.ss_family = AF_INET;
		inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr);
	}
	return ss;
}

static void check_ip_names(void)
{
	static const struct { const char *name; bool ip; } t[] = {
		{ "10.1.2.3", true }, { "127.1", true }, { "0x7f.1", true },
		{ "2130706433", true }, { "10", true },
		{ "github.com", false }, { "1.2.3.4.example", false }, { "a1.2.3.4", false },
		{ "10.1.2.3.", false },	/* the parser drops the trailing dot first */
	};
	char bad[256] = "";
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (guard_name_is_ip(t[i].name) != t[i].ip && !bad[0])
			snprintf(bad, sizeof(bad), "%s: want %s", t[i].name, t[i].ip ? "IP" : "name");
	report("ip_literal_names", bad);
}

static void check_forbidden(void)
{
	static const struct { const char *ip; const char *why; } t[] = {
		{ "127.0.0.1", "loopback" }, { "127.255.1.2", "loopback" }, { "::1", "loopback" },
		{ "::ffff:127.0.0.1", "loopback" }, { "0.0.0.0", "unspecified" }, { "::", "unspecified" },
		{ "169.254.169.254", "link-local" }, { "fe80::1", "link-local" },
		{ "224.0.0.251", "multicast" }, { "ff02::1", "multicast" },
		{ "255.255.255.255", "reserved/broadcast" }, { "::ffff:169.254.1.1", "link-local" },
		{ "93.184.216.34", NULL }, { "10.1.2.3", NULL }, { "2001:db8::1", NULL },
		{ "::ffff:93.184.216.34", NULL },
	};
	struct proxy_opts o = {};
	struct sockaddr_storage ss;
	char bad[256] = "";
	const char *w;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ss = ss_of(t[i].ip);
		w = guard_addr_forbidden(&o, &ss);
		if ((!w != !t[i].why || (w && strcmp(w, t[i].why))) && !bad[0])
			snprintf(bad, sizeof(bad), "%s: got %s, want %s", t[i].ip, w ? w : "allowed",
				 t[i].why ? t[i].why : "allowed");
	}
	report("forbidden_addresses", bad);
}

static void check_allow_nets(void)
{
	struct proxy_opts o = {};
	struct sockaddr_storage ss;
	char bad[256] = "";

	if (guard_parse_net("127.0.0.0/8", &o.upstream_nets[0]) ||
	    guard_parse_net("fe80::/10", &o.upstream_nets[1]))
		snprintf(bad, sizeof(bad), "valid blocks refused");
	o.nupstream_nets = 2;
	ss = ss_of("127.0.0.53");
	if (!bad[0] && guard_addr_forbidden(&o, &ss))
		snprintf(bad, sizeof(bad), "127.0.0.53 still forbidden with 127.0.0.0/8");
	ss = ss_of("::ffff:127.0.0.1");
	if (!bad[0] && guard_addr_forbidden(&o, &ss))
		snprintf(bad, sizeof(bad), "::ffff:127.0.0.1 still forbidden with 127.0.0.0/8");
	ss = ss_of("fe80::1234");
	if (!bad[0] && guard_addr_forbidden(&o, &ss))
		snprintf(bad, sizeof(bad), "fe80::1234 still forbidden with fe80::/10");
	ss = ss_of("169.254.1.1");
	if (!bad[0] && !guard_addr_forbidden(&o, &ss))
		snprintf(bad, sizeof(bad), "169.254.1.1 allowed by blocks that do not hold it");
	report("allow_upstream_net", bad);
}

static void check_cidr_syntax(void)
{
	static const struct { const char *s; bool ok; int bits; } t[] = {
		{ "10.0.0.0/8", true, 8 }, { "10.1.2.3", true, 32 }, { "fd00::/8", true, 8 },
		{ "::1", true, 128 }, { "10.0.0.0/33", false, 0 }, { "10.0.0.0/", false, 0 },
		{ "10.0.0.0/x", false, 0 }, { "fd00::/129", false, 0 }, { "example.com/8", false, 0 },
		{ "", false, 0 },
	};
	struct net_block n;
	char bad[256] = "";
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = guard_parse_net(t[i].s, &n);

		if ((!rc != t[i].ok || (t[i].ok && n.bits != t[i].bits)) && !bad[0])
			snprintf(bad, sizeof(bad), "'%s': rc %d bits %d", t[i].s, rc, rc ? -1 : n.bits);
	}
	report("cidr_syntax", bad);
}

static void check_filter_and_verify(void)
{
	struct proxy_opts o = {};
	struct resolve_addrs a = { .n = 3 };
	struct sockaddr_storage first, odst;
	const char *why;
	char bad[256] = "";

	a.a[0] = ss_of("127.0.0.1");
	a.a[1] = ss_of("93.184.216.34");
	a.a[2] = ss_of("::1");
	if (guard_filter(&o, &a, &why, &first) != 1 || a.n != 1 ||
	    a.a[0].ss_family != AF_INET)
		snprintf(bad, sizeof(bad), "a mixed answer did not keep exactly the public address");
	odst = ss_of("93.184.216.34");
	if (!bad[0] && !guard_addrs_include(&a, &odst))
		snprintf(bad, sizeof(bad), "the kept address does not match itself");
	odst = ss_of("::ffff:93.184.216.34");
	if (!bad[0] && !guard_addrs_include(&a, &odst))
		snprintf(bad, sizeof(bad), "an IPv4-mapped destination does not match its IPv4 answer");
	odst = ss_of("93.184.216.35");
	if (!bad[0] && guard_addrs_include(&a, &odst))
		snprintf(bad, sizeof(bad), "another address matched");
	report("filter_and_verify", bad);
}

static void check_ech_rule(void)
{
	char bad[256] = "";

	if (pattern_ech_refused(0, 1) || pattern_ech_refused(1, 0) || !pattern_ech_refused(1, 1))
		snprintf(bad, sizeof(bad), "ECH refused only with --ech deny and an ECH hello");
	report("ech_rule", bad);
}

int main(void)
{
	check_ip_names();
	check_forbidden();
	check_allow_nets();
	check_cidr_syntax();
	check_filter_and_verify();
	check_ech_rule();
	return failed ? 1 : 0;
}
