/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/proxy.h - `snigate proxy`: options and the daemon's entry point. */
#ifndef __SNIGATE_PROXY_H
#define __SNIGATE_PROXY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/types.h>
#include "snigate_abi.h"

#define PROXY_MAX_LISTEN 8
#define PROXY_MAX_NETS	16	/* --allow-upstream-net */

enum upstream_mode {
	UPSTREAM_SNI,		/* resolve the allowed name */
	UPSTREAM_ORIGDST,	/* the address the client dialled */
};

enum data_path {
	DATA_PATH_SPLICE,	/* splice() relay: bounded, the default */
	DATA_PATH_SOCKMAP,	/* sk_skb redirect: experimental (README) */
};

/* An address block, "10.0.0.0/8" or "fd00::/8". */
struct net_block {
	int family;		/* AF_INET or AF_INET6 */
	__u8 addr[16];
	int bits;
};

struct proxy_opts {
	struct sockaddr_storage listen[PROXY_MAX_LISTEN];
	int nlisten;
	bool transparent;		/* TPROXY: IP_TRANSPARENT listeners */
	enum upstream_mode upstream;
	enum data_path data_path;
	const char *allow_file;
	enum snigate_verdict default_verdict;
	uint64_t conn_mem;		/* kernel memory bound per connection, bytes */
	int hello_timeout_ms;
	int connect_timeout_ms;
	int max_conns;
	bool no_selftest;		/* skip the kernel checks at start */
	int idle_timeout_ms;		/* close relays that moved no byte this long; 0: never */
	int keepalive_s;		/* TCP keepalive idle time on both sockets; 0: off */
	int drain_timeout_ms;		/* SIGTERM: live connections may finish this long */
	bool ech_deny;			/* --ech deny */
	int busy_poll_us;		/* poll this long before sleeping (adaptive); 0: off */
	bool allow_ip_sni;		/* --upstream sni may dial an IP-literal server_name */
	bool verify_dns;		/* --upstream origdst: the name must resolve to it */
	struct net_block upstream_nets[PROXY_MAX_NETS];	/* dialable despite upstream_guard */
	int nupstream_nets;
	int workers;			/* processes sharing the listeners (SO_REUSEPORT) */
};

/* Run the gateway until stopped: one process, or with --workers a
 * supervisor and that many worker processes (user/workers.c).
 */
int proxy_run(const struct proxy_opts *o);

/* One worker of --workers: index 0 owns the pins (clears a previous run's
 * sockets, loads --allow-file, reloads it on SIGHUP), the others join them.
 * Writes a byte to ready_fd once it listens. all_conns: the count of open
 * connections all workers share (for --max-conns), or NULL. Returns 0 or
 * -errno.
 */
int proxy_worker(const struct proxy_opts *o, int index, int ready_fd, int *all_conns);

/* The supervisor: starts the workers, passes signals on, stops them all
 * when one dies. Returns 0 or -errno.
 */
int workers_run(const struct proxy_opts *o);

#endif /* __SNIGATE_PROXY_H */
