/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/filter.h - `snigate filter`: load, attach to a cgroup, log, detach. */
#ifndef __SNIGATE_FILTER_H
#define __SNIGATE_FILTER_H

#include <stdbool.h>
#include <linux/types.h>
#include "snigate_abi.h"

#define FILTER_MAX_PORTS 64

struct filter_opts {
	const char *cgroup;		/* cgroup v2 directory */
	const char *allow_file;		/* NULL: the policy in force (pinned) stays */
	struct snigate_fport ports[FILTER_MAX_PORTS];	/* TCP, ClientHello judged */
	int nports;
	struct snigate_fport pass[FILTER_MAX_PORTS];	/* --allow-port */
	int npass;
	bool no_reset;			/* leave denied connections open (EACCES only) */
	int hello_timeout_ms;		/* established, no whole hello by then: denied */
};

/* Run until SIGINT/SIGTERM. Returns 0 or -errno (message printed). */
int filter_run(const struct filter_opts *o);

#endif /* __SNIGATE_FILTER_H */
