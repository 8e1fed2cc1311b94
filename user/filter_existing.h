/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/filter_existing.h - connections a cgroup opened before its filter. */
#ifndef __SNIGATE_FILTER_EXISTING_H
#define __SNIGATE_FILTER_EXISTING_H

#include "snigate_abi.h"

typedef void (*filter_existing_fn)(const struct snigate_fevent *ev, void *ctx);

/* Call fn with a SNIGATE_FEVENT_UNJUDGED event (pid, comm, cgroup inode,
 * destination) for every established TCP connection to one of ports held by
 * a process in the cgroup tree at root. Returns how many, or -errno.
 */
int filter_existing(const char *root, const struct snigate_fport *ports, int nports,
		    filter_existing_fn fn, void *ctx);

#endif /* __SNIGATE_FILTER_EXISTING_H */
