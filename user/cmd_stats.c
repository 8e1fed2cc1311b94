// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/cmd_stats.c - `snigate stats` (per-CPU counters summed) and
 * `snigate conns` (live connections from snigate_sockst).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include "snigate_abi.h"
#include "addr.h"
#include "json.h"
#include "main.h"
#include "pin.h"

static const char *const verdict_names[] = { "none", "allow", "deny" };
/* one table for the CLI and the daemon's log lines */
static const char *const reason_names[SNIGATE_REASON__MAX] = {
	[SNIGATE_REASON_MATCH] = "match",
	[SNIGATE_REASON_DEFAULT] = "default",
	[SNIGATE_REASON_NO_SNI] = "no_sni",
	[SNIGATE_REASON_NOT_TLS] = "not_tls",
	[SNIGATE_REASON_MALFORMED] = "malformed",
	[SNIGATE_REASON_OVERSIZE] = "oversize",
	[SNIGATE_REASON_BAD_NAME] = "bad_name",
	[SNIGATE_REASON_TIMEOUT] = "timeout",
	[SNIGATE_REASON_UPSTREAM] = "upstream",
	[SNIGATE_REASON_LIMIT] = "limit",
	[SNIGATE_REASON_ABORTED] = "aborted",
	[SNIGATE_REASON_ECH] = "ech",
	[SNIGATE_REASON_IP_SNI] = "ip_sni",
	[SNIGATE_REASON_UPSTREAM_ADDR] = "upstream_addr",
	[SNIGATE_REASON_DNS_MISMATCH] = "dns_mismatch",
};

const char *verdict_name(int v)
{
	return v >= 0 && v <= 2 ? verdict_names[v] : "unknown";
}

const char *reason_name(int r)
{
	return r >= 0 && r < SNIGATE_REASON__MAX ? reason_names[r] : "unknown";
}

static const char *const stat_names[SNIGATE_STAT_DENY_BASE] = {
	[SNIGATE_STAT_HELLOS] = "hellos",
	[SNIGATE_STAT_ALLOWED] = "allowed",
	[SNIGATE_STAT_DENIED] = "denied",
	[SNIGATE_STAT_USER_PARSED] = "hellos_user_parsed",
	[SNIGATE_STAT_BYTES_UP] = "bytes_up",
	[SNIGATE_STAT_BYTES_DOWN] = "bytes_down",
	[SNIGATE_STAT_PAUSES] = "flow_pauses",
	[SNIGATE_STAT_SHAPE_ONE] = "hello_one_segment",
	[SNIGATE_STAT_SHAPE_SEGMENTS] = "hello_segments",
	[SNIGATE_STAT_SHAPE_RECORDS] = "hello_records",
	[SNIGATE_STAT_CLOSED_RESET] = "closed_reset",
	[SNIGATE_STAT_CLOSED_IDLE] = "closed_idle",
	[SNIGATE_STAT_CLOSED_DRAIN] = "closed_drain",
};

static int read_stats(int fd, __u64 *out)
{
	int ncpu = libbpf_num_possible_cpus(), i, c;
	__u64 vals[ncpu > 0 ? ncpu : 1];

	if (ncpu <= 0)
		return -EINVAL;
	for (i = 0; i < SNIGATE_STAT__MAX; i++) {
		__u32 key = i;

		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &key, vals))
			return -errno;
		for (c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	return 0;
}

int do_stats(int argc, char **argv)
{
	__u64 v[SNIGATE_STAT__MAX];
	int fd, rc, i;

	(void)argc, (void)argv;
	fd = pin_open_map(SNIGATE_MAP_STATS);
	if (fd < 0)
		return EXIT_RUNTIME;
	rc = read_stats(fd, v);
	close(fd);
	if (rc)
		return runtime_error("cannot read counters: %s", strerror(-rc));
	if (json_output) {
		struct jw w;

		jw_init(&w, stdout);
		jw_start_object(&w);
		for (i = 0; i < SNIGATE_STAT_DENY_BASE; i++)
			jw_uint_field(&w, stat_names[i], v[i]);
		jw_name(&w, "denied_by_reason");
		jw_start_object(&w);
		for (i = 0; i < SNIGATE_REASON__MAX; i++)
			jw_uint_field(&w, reason_names[i], v[SNIGATE_STAT_DENY_BASE + i]);
		jw_end_object(&w);
		jw_end_object(&w);
		putchar('\n');
		return EXIT_OK;
	}
	for (i = 0; i < SNIGATE_STAT_DENY_BASE; i++)
		printf("%-20s %llu\n", stat_names[i], (unsigned long long)v[i]);
	for (i = 0; i < SNIGATE_REASON__MAX; i++)
		printf("denied_%-13s %llu\n", reason_names[i],
		       (unsigned long long)v[SNIGATE_STAT_DENY_BASE + i]);
	return EXIT_OK;
}

static void format_addr(const __u8 addr[16], __u16 port, __u16 family, char *buf)
{
	struct sockaddr_storage ss = {};

	ss.ss_family = family;
	if (family == AF_INET6)
		memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, addr, 16);
	else
		memcpy(&((struct sockaddr_in *)&ss)->sin_addr, addr, 4);
	addr_set_port(&ss, port);
	addr_format(&ss, buf);
}

int do_conns(int argc, char **argv)
{
	struct snigate_sock st, up;
	char caddr[ADDR_STRLEN], uaddr[ADDR_STRLEN];
	__u64 key, next, *prev = NULL;
	struct timespec ts;
	struct jw w;
	__u64 now;
	int fd;

	(void)argc, (void)argv;
	fd = pin_open_map(SNIGATE_MAP_SOCKSTATE);
	if (fd < 0)
		return EXIT_RUNTIME;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	if (json_output) {
		jw_init(&w, stdout);
		jw_start_array(&w);
	} else {
		printf("%-22s %-32s %-22s %8s %12s %12s %8s\n", "CLIENT", "SNI", "UPSTREAM",
		       "VERDICT", "BYTES_UP", "BYTES_DOWN", "AGE_S");
	}
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		__u64 down = 0;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &st) || st.side != SNIGATE_SIDE_CLIENT)
			continue;
		format_addr(st.raddr, st.rport, st.family, caddr);
		strcpy(uaddr, "-");
		if (st.ufamily)
			format_addr(st.uaddr, st.uport, st.ufamily, uaddr);
		/* the splice relay counts here; sockmap's BPF in the peer's entry */
		down = st.down_bytes;
		if (st.peer_cookie && bpf_map_lookup_elem(fd, &st.peer_cookie, &up) == 0)
			down = up.redir_bytes;
		if (json_output) {
			jw_start_object(&w);
			jw_string_field(&w, "client", caddr);
			jw_string_field(&w, "sni", st.sni);
			jw_string_field(&w, "upstream", uaddr);
			jw_string_field(&w, "verdict", verdict_name(st.verdict));
			jw_uint_field(&w, "bytes_up", st.redir_bytes);
			jw_uint_field(&w, "bytes_down", down);
			jw_uint_field(&w, "age_ms", (now - st.start_ns) / 1000000);
			jw_bool_field(&w, "paused", st.flags & SNIGATE_SOCK_PAUSE);
			jw_end_object(&w);
		} else {
			printf("%-22s %-32s %-22s %8s %12llu %12llu %8llu\n", caddr,
			       st.sni[0] ? st.sni : "-", uaddr, verdict_name(st.verdict),
			       (unsigned long long)st.redir_bytes, (unsigned long long)down,
			       (unsigned long long)((now - st.start_ns) / 1000000000ULL));
		}
	}
	if (json_output) {
		jw_end_array(&w);
		putchar('\n');
	}
	close(fd);
	return EXIT_OK;
}
