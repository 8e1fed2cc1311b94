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

enum upstream_mode {
	UPSTREAM_SNI,		/* resolve the allowed name */
	UPSTREAM_ORIGDST,	/* the address the client dialled */
};

enum data_path {
	DATA_PATH_SPLICE,	/* splice() relay: bounded, the default */
	DATA_PATH_SOCKMAP,	/* sk_skb redirect: experimental (README) */
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
};

int proxy_run(const struct proxy_opts *o);

#endif /* __SNIGATE_PROXY_H */
