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
#include "mono.h"
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

static const char *const fstat_names[SNIGATE_FSTAT_DENY_BASE] = {
	[SNIGATE_FSTAT_CONNS] = "conns",
	[SNIGATE_FSTAT_HELLOS] = "hellos",
	[SNIGATE_FSTAT_ALLOWED] = "allowed",
	[SNIGATE_FSTAT_DENIED] = "denied",
	[SNIGATE_FSTAT_SPLIT] = "hellos_split",
	[SNIGATE_FSTAT_LEFT] = "left_sockhash",
	[SNIGATE_FSTAT_RESET] = "reset",
	[SNIGATE_FSTAT_PORT_REFUSED] = "port_refused",
	[SNIGATE_FSTAT_PORT_PASSED] = "port_passed",
	[SNIGATE_FSTAT_UNTRACKED] = "untracked",
	[SNIGATE_FSTAT_TFO_REFUSED] = "tfo_refused",
};

/* n per-CPU counters of the array behind fd, summed */
static int read_counters(int fd, int n, __u64 *out)
{
	int ncpu = libbpf_num_possible_cpus(), i, c, err;
	__u64 vals[ncpu > 0 ? ncpu : 1];

	if (ncpu <= 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		__u32 key = i;

		out[i] = 0;
		err = bpf_map_lookup_elem(fd, &key, vals);	/* libbpf: -errno */
		if (err)
			return err < 0 ? err : -EIO;
		for (c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	return 0;
}

/* One daemon's counters: names[0..nbase) then denials by reason. */
static void print_counters(struct jw *w, const char *prefix, const char *const *names, int nbase,
			   const __u64 *v)
{
	char name[64];
	int i;

	if (json_output) {
		for (i = 0; i < nbase; i++)
			jw_uint_field(w, names[i], v[i]);
		jw_name(w, "denied_by_reason");
		jw_start_object(w);
		for (i = 0; i < SNIGATE_REASON__MAX; i++)
			jw_uint_field(w, reason_names[i], v[nbase + i]);
		jw_end_object(w);
		return;
	}
	for (i = 0; i < nbase; i++) {
		snprintf(name, sizeof(name), "%s%s", prefix, names[i]);
		printf("%-20s %llu\n", name, (unsigned long long)v[i]);
	}
	for (i = 0; i < SNIGATE_REASON__MAX; i++) {
		snprintf(name, sizeof(name), "%sdenied_%s", prefix, reason_names[i]);
		printf("%-20s %llu\n", name, (unsigned long long)v[nbase + i]);
	}
}

/* The gateway's map and the filter's, whichever is pinned (the other fd is
 * negative). Neither: the gateway's missing pin says what to do. Returns 0,
 * or -1 with the reason printed.
 */
static int open_gateway_and_filter(const char *gw_map, const char *filter_map, int *fd, int *ffd)
{
	*fd = pin_try_map(gw_map);
	*ffd = pin_try_map(filter_map);
	if (*fd == -ENOENT && *ffd == -ENOENT) {
		pin_open_map(gw_map);	/* says what to do */
		return -1;
	}
	return *fd < 0 && *ffd < 0 ? -1 : 0;	/* pin_try_map said why */
}

/* The gateway's counters at the top level (as always), the filter's under
 * "filter" (JSON) or with a filter_ prefix (text); whichever is running.
 */
int do_stats(int argc, char **argv)
{
	__u64 v[SNIGATE_STAT__MAX] = {}, fv[SNIGATE_FSTAT__MAX] = {};
	int fd, ffd, rc = 0;
	struct jw w;

	(void)argc, (void)argv;
	if (open_gateway_and_filter(SNIGATE_MAP_STATS, SNIGATE_MAP_FSTATS, &fd, &ffd))
		return EXIT_RUNTIME;
	if (fd >= 0)
		rc = read_counters(fd, SNIGATE_STAT__MAX, v);
	if (ffd >= 0 && !rc)
		rc = read_counters(ffd, SNIGATE_FSTAT__MAX, fv);
	if (rc)
		goto out;
	if (json_output) {
		jw_init(&w, stdout);
		jw_start_object(&w);
	}
	if (fd >= 0)
		print_counters(&w, "", stat_names, SNIGATE_STAT_DENY_BASE, v);
	if (ffd >= 0) {
		if (json_output) {
			jw_name(&w, "filter");
			jw_start_object(&w);
		}
		print_counters(&w, "filter_", fstat_names, SNIGATE_FSTAT_DENY_BASE, fv);
		if (json_output)
			jw_end_object(&w);
	}
	if (json_output) {
		jw_end_object(&w);
		putchar('\n');
	}
out:
	if (fd >= 0)
		close(fd);
	if (ffd >= 0)
		close(ffd);
	if (rc < 0)
		return runtime_error("cannot read counters: %s", strerror(-rc));
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

static const char *fconn_state(const struct snigate_fconn *c)
{
	if (c->flags & SNIGATE_FCONN_RESET)
		return "reset";
	if (c->verdict == SNIGATE_VERDICT_DENY)
		return "denied";
	if (c->flags & SNIGATE_FCONN_LEFT)
		return "passed";	/* allowed, plain TCP from here on */
	if (c->verdict == SNIGATE_VERDICT_ALLOW)
		return "allowed";
	return (c->flags & SNIGATE_FCONN_ESTABLISHED) ? "hello" : "connecting";
}

static void fconn_dest(const struct snigate_fconn *c, char *buf)
{
	format_addr(c->daddr, c->dport, c->family, buf);
}

/* `snigate filter` connections: who (pid, comm) goes where, and the verdict. */
static void list_filter_conns(int fd, struct jw *w, __u64 now)
{
	struct snigate_fconn c;
	__u64 key, next, *prev = NULL;
	char dest[ADDR_STRLEN], comm[17];

	if (!json_output)
		printf("%-8s %-16s %-22s %-32s %8s %-10s %8s\n", "PID", "COMM", "DESTINATION", "SNI",
		       "VERDICT", "STATE", "AGE_S");
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &c))
			continue;
		fconn_dest(&c, dest);
		snprintf(comm, sizeof(comm), "%s", c.comm[0] ? c.comm : "-");
		if (json_output) {
			jw_start_object(w);
			jw_string_field(w, "kind", "filter");
			jw_uint_field(w, "pid", c.pid);
			jw_string_field(w, "comm", comm);
			jw_uint_field(w, "cgroup_id", c.cgroup_id);
			jw_string_field(w, "destination", dest);
			jw_string_field(w, "sni", c.sni[0] ? c.sni : "-");
			jw_string_field(w, "verdict", verdict_name(c.verdict));
			jw_string_field(w, "reason", c.verdict ? reason_name(c.reason) : "-");
			jw_string_field(w, "state", fconn_state(&c));
			jw_uint_field(w, "age_ms", (now - c.start_ns) / 1000000);
			jw_end_object(w);
		} else {
			printf("%-8u %-16s %-22s %-32s %8s %-10s %8llu\n", c.pid, comm, dest,
			       c.sni[0] ? c.sni : "-", verdict_name(c.verdict), fconn_state(&c),
			       (unsigned long long)((now - c.start_ns) / 1000000000ULL));
		}
	}
}

/* The gateway's connections, then the filter's: whichever is running. */
int do_conns(int argc, char **argv)
{
	struct snigate_sock st, up;
	char caddr[ADDR_STRLEN], uaddr[ADDR_STRLEN];
	__u64 key, next, *prev = NULL;
	struct jw w;
	__u64 now;
	int fd, ffd;

	(void)argc, (void)argv;
	if (open_gateway_and_filter(SNIGATE_MAP_SOCKSTATE, SNIGATE_MAP_FCONNS, &fd, &ffd))
		return EXIT_RUNTIME;
	now = mono_ns();
	if (json_output) {
		jw_init(&w, stdout);
		jw_start_array(&w);
	} else if (fd >= 0) {
		printf("%-22s %-32s %-22s %8s %12s %12s %8s\n", "CLIENT", "SNI", "UPSTREAM",
		       "VERDICT", "BYTES_UP", "BYTES_DOWN", "AGE_S");
	}
	while (fd >= 0 && bpf_map_get_next_key(fd, prev, &next) == 0) {
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
	if (ffd >= 0) {
		if (fd >= 0 && !json_output)
			putchar('\n');
		list_filter_conns(ffd, &w, now);
	}
	if (json_output) {
		jw_end_array(&w);
		putchar('\n');
	}
	if (fd >= 0)
		close(fd);
	if (ffd >= 0)
		close(ffd);
	return EXIT_OK;
}
