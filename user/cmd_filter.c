// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/cmd_filter.c - `snigate filter` options; the daemon is user/filter.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include "filter.h"
#include "log.h"
#include "main.h"

/* "443" -> 443; 0 when not a port */
static __u16 parse_port(const char *s, const char **rest)
{
	char *end;
	long v = strtol(s, &end, 10);

	*rest = end;
	return end != s && v > 0 && v < 65536 ? v : 0;
}

static bool has_port(const struct snigate_fport *list, int n, const struct snigate_fport *p)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i].port == p->port && list[i].proto == p->proto)
			return true;
	return false;
}

/* "443,8443" (TCP, judged) */
static int parse_ports(const char *s, struct filter_opts *o)
{
	const char *rest;
	__u16 port;

	o->nports = 0;
	for (;;) {
		port = parse_port(s, &rest);
		if (!port || (*rest && *rest != ','))
			return -1;
		if (o->nports == FILTER_MAX_PORTS)
			return -1;
		o->ports[o->nports++] = (struct snigate_fport){ .port = port, .proto = IPPROTO_TCP };
		if (!*rest)
			return 0;
		s = rest + 1;
	}
}

/* "53", "53/udp", "22/tcp": no suffix means both */
static int parse_allow_port(const char *s, struct filter_opts *o)
{
	struct snigate_fport p = {};
	const char *rest;
	bool tcp = true, udp = true;

	p.port = parse_port(s, &rest);
	if (!p.port)
		return -1;
	if (strcmp(rest, "/tcp") == 0)
		udp = false;
	else if (strcmp(rest, "/udp") == 0)
		tcp = false;
	else if (*rest)
		return -1;
	if (o->npass + 2 > FILTER_MAX_PORTS)
		return -1;
	if (tcp) {
		p.proto = IPPROTO_TCP;
		o->pass[o->npass++] = p;
	}
	if (udp) {
		p.proto = IPPROTO_UDP;
		o->pass[o->npass++] = p;
	}
	return 0;
}

int do_filter(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "allow-file", required_argument, NULL, 'a' },
		{ "ports", required_argument, NULL, 'p' },
		{ "allow-port", required_argument, NULL, 'A' },
		{ "log", required_argument, NULL, 'L' },
		{ "no-reset", no_argument, NULL, 'R' },
		{ "hello-timeout", required_argument, NULL, 'T' },
		{ 0 },
	};
	struct filter_opts o = {
		.ports = { { .port = 443, .proto = IPPROTO_TCP } },
		.nports = 1,
		.hello_timeout_ms = 10000,
	};
	int c, i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.cgroup = optarg;
			break;
		case 'a':
			o.allow_file = optarg;
			break;
		case 'p':
			if (parse_ports(optarg, &o))
				return usage_error("--ports '%s': TCP ports separated by commas, e.g. 443,8443",
						   optarg);
			break;
		case 'A':
			if (parse_allow_port(optarg, &o))
				return usage_error("--allow-port '%s': PORT, PORT/tcp or PORT/udp, e.g. 53/udp",
						   optarg);
			break;
		case 'L':
			if (strcmp(optarg, "json") == 0)
				log_json = true;
			else if (strcmp(optarg, "text") != 0)
				return usage_error("--log takes 'text' or 'json'");
			break;
		case 'R':
			o.no_reset = true;
			break;
		case 'T':
			if (parse_seconds(optarg, &o.hello_timeout_ms))
				return usage_error("--hello-timeout '%s': seconds, e.g. 10 or 2.5", optarg);
			break;
		default:
			return usage_error("see 'snigate help'");
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o.cgroup)
		return usage_error("--cgroup is required: the cgroup v2 directory whose processes to filter, "
				   "e.g. /sys/fs/cgroup/unified/build-jobs");
	for (i = 0; i < o.npass; i++)
		if (has_port(o.ports, o.nports, &o.pass[i]))
			return usage_error("port %u/tcp is in --ports (judged) and in --allow-port (not judged): pick one",
					   o.pass[i].port);
	if (geteuid() != 0)
		pr_info("not running as root: loading BPF will likely fail (needs CAP_BPF, CAP_NET_ADMIN)");
	return filter_run(&o) ? EXIT_RUNTIME : EXIT_OK;
}
