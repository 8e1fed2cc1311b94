// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/cmd_proxy.c - `snigate proxy` options; the daemon is user/proxy.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "addr.h"
#include "log.h"
#include "main.h"
#include "proxy.h"
#include "resolve.h"
#include "selftest.h"
#include "upstream_guard.h"

/* "8M", "512k", "1048576" */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end || v < (256 << 10) || v > (1ULL << 32))
		return -EINVAL;
	*out = v;
	return 0;
}

int do_proxy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "transparent", no_argument, NULL, 't' },
		{ "upstream", required_argument, NULL, 'u' },
		{ "allow-file", required_argument, NULL, 'a' },
		{ "default", required_argument, NULL, 'D' },
		{ "log", required_argument, NULL, 'L' },
		{ "conn-mem", required_argument, NULL, 'm' },
		{ "hello-timeout", required_argument, NULL, 'H' },
		{ "connect-timeout", required_argument, NULL, 'C' },
		{ "max-conns", required_argument, NULL, 'M' },
		{ "data-path", required_argument, NULL, 'P' },
		{ "resolve-ttl", required_argument, NULL, 'R' },
		{ "no-selftest", no_argument, NULL, 'N' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "keepalive", required_argument, NULL, 'K' },
		{ "drain-timeout", required_argument, NULL, 'T' },
		{ "ech", required_argument, NULL, 'E' },
		{ "allow-ip-sni", no_argument, NULL, 'i' },
		{ "allow-upstream-net", required_argument, NULL, 'n' },
		{ "verify-dns", no_argument, NULL, 'V' },
		{ "busy-poll", required_argument, NULL, 'B' },
		{ "workers", required_argument, NULL, 'W' },
		{ 0 },
	};
	struct proxy_opts o = {
		.upstream = UPSTREAM_SNI,
		.default_verdict = SNIGATE_VERDICT_DENY,
		.conn_mem = 8 << 20,
		.hello_timeout_ms = 10000,
		.connect_timeout_ms = 5000,
		.keepalive_s = 60,
		.drain_timeout_ms = 10000,
		.busy_poll_us = 50,
		.workers = 1,
	};
	char *end;
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (o.nlisten == PROXY_MAX_LISTEN)
				return usage_error("at most %d --listen addresses", PROXY_MAX_LISTEN);
			if (addr_parse(optarg, &o.listen[o.nlisten], &(socklen_t){ 0 }))
				return usage_error("--listen '%s': expected ADDR:PORT, e.g. 0.0.0.0:8443 or [::]:8443",
						   optarg);
			o.nlisten++;
			break;
		case 't':
			o.transparent = true;
			break;
		case 'u':
			if (strcmp(optarg, "sni") == 0)
				o.upstream = UPSTREAM_SNI;
			else if (strcmp(optarg, "origdst") == 0)
				o.upstream = UPSTREAM_ORIGDST;
			else
				return usage_error("--upstream takes 'sni' or 'origdst'");
			break;
		case 'a':
			o.allow_file = optarg;
			break;
		case 'D':
			if (strcmp(optarg, "allow") == 0)
				o.default_verdict = SNIGATE_VERDICT_ALLOW;
			else if (strcmp(optarg, "deny") == 0)
				o.default_verdict = SNIGATE_VERDICT_DENY;
			else
				return usage_error("--default takes 'allow' or 'deny'");
			break;
		case 'L':
			if (strcmp(optarg, "json") == 0)
				log_json = true;
			else if (strcmp(optarg, "text") != 0)
				return usage_error("--log takes 'text' or 'json'");
			break;
		case 'm':
			if (parse_size(optarg, &o.conn_mem))
				return usage_error("--conn-mem '%s': a size from 256k to 4G (e.g. 8M)", optarg);
			break;
		case 'H':
			if (parse_seconds(optarg, &o.hello_timeout_ms))
				return usage_error("--hello-timeout takes seconds > 0");
			break;
		case 'C':
			if (parse_seconds(optarg, &o.connect_timeout_ms))
				return usage_error("--connect-timeout takes seconds > 0");
			break;
		case 'M':
			o.max_conns = strtol(optarg, &end, 10);
			if (*end || o.max_conns < 1)
				return usage_error("--max-conns takes a number >= 1");
			break;
		case 'R': {
			int ms;

			if (strcmp(optarg, "0") == 0)
				ms = 0;
			else if (parse_seconds(optarg, &ms))
				return usage_error("--resolve-ttl takes seconds >= 0");
			resolve_ttl_ms = ms;
			break;
		}
		case 'N':
			o.no_selftest = true;
			break;
		case 'I':
			if (strcmp(optarg, "0") == 0)
				o.idle_timeout_ms = 0;
			else if (parse_seconds(optarg, &o.idle_timeout_ms))
				return usage_error("--idle-timeout takes seconds >= 0 (0: never)");
			break;
		case 'K':
			o.keepalive_s = strtol(optarg, &end, 10);
			if (*end || o.keepalive_s < 0 || o.keepalive_s > 32767)
				return usage_error("--keepalive takes whole seconds from 0 (off) to 32767");
			break;
		case 'T':
			if (strcmp(optarg, "0") == 0)
				o.drain_timeout_ms = 0;
			else if (parse_seconds(optarg, &o.drain_timeout_ms))
				return usage_error("--drain-timeout takes seconds >= 0 (0: close at once)");
			break;
		case 'E':
			if (strcmp(optarg, "deny") == 0)
				o.ech_deny = true;
			else if (strcmp(optarg, "outer") == 0)
				o.ech_deny = false;
			else
				return usage_error("--ech takes 'outer' (judge by the outer name) or 'deny'");
			break;
		case 'i':
			o.allow_ip_sni = true;
			break;
		case 'n':
			if (o.nupstream_nets == PROXY_MAX_NETS)
				return usage_error("at most %d --allow-upstream-net blocks", PROXY_MAX_NETS);
			if (guard_parse_net(optarg, &o.upstream_nets[o.nupstream_nets]))
				return usage_error("--allow-upstream-net '%s': expected ADDR/BITS, e.g. 127.0.0.0/8 or fd00::/8",
						   optarg);
			o.nupstream_nets++;
			break;
		case 'V':
			o.verify_dns = true;
			break;
		case 'B':
			o.busy_poll_us = strtol(optarg, &end, 10);
			if (*end || o.busy_poll_us < 0 || o.busy_poll_us > 10000)
				return usage_error("--busy-poll takes microseconds from 0 (off) to 10000");
			break;
		case 'W':
			o.workers = strtol(optarg, &end, 10);
			if (*end || o.workers < 1 || o.workers > 64)
				return usage_error("--workers takes a number of processes from 1 to 64 "
						   "(at most one per CPU)");
			break;
		case 'P':
			if (strcmp(optarg, "splice") == 0)
				o.data_path = DATA_PATH_SPLICE;
			else if (strcmp(optarg, "sockmap") == 0)
				o.data_path = DATA_PATH_SOCKMAP;
			else
				return usage_error("--data-path takes 'splice' or 'sockmap'");
			break;
		default:
			return usage_error("see 'snigate help'");
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (o.workers > 1 && o.data_path == DATA_PATH_SOCKMAP)
		return usage_error("--workers goes with the splice data path only (sockmap is experimental)");
	if (o.verify_dns && o.upstream != UPSTREAM_ORIGDST)
		return usage_error("--verify-dns goes with --upstream origdst (with 'sni' the name is what is dialled)");
	if (!o.nlisten) {
		addr_parse("0.0.0.0:8443", &o.listen[0], &(socklen_t){ 0 });
		o.nlisten = 1;
	}
	if (geteuid() != 0)
		pr_info("not running as root: loading BPF will likely fail (needs CAP_BPF, CAP_NET_ADMIN)");
	if (!o.no_selftest && selftest_run()) {
		pr_warn("refusing to start: the kernel selftest failed (see above); "
			"--no-selftest starts anyway, at the risk of losing bytes");
		return EXIT_RUNTIME;
	}
	err = proxy_run(&o);
	return err ? EXIT_RUNTIME : EXIT_OK;
}
