/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/resolve.h - name -> addresses off the event loop.
 * getaddrinfo() on a few worker threads: the system resolver, /etc/hosts and
 * nsswitch honoured, and the event loop never blocks on DNS.
 */
#ifndef __SNIGATE_RESOLVE_H
#define __SNIGATE_RESOLVE_H

#include <stdint.h>
#include <netdb.h>

struct resolve_result {
	uint64_t id;		/* what the caller passed to resolve_submit() */
	int gai_err;		/* 0 or an EAI_* code */
	struct addrinfo *ai;	/* freeaddrinfo() it */
};

/* Start the workers. Returns an eventfd that is readable when results wait,
 * or -errno.
 */
int resolve_init(int nthreads);
void resolve_fini(void);

/* Queue a lookup of name:port. Returns 0 or -ENOMEM. */
int resolve_submit(uint64_t id, const char *name, uint16_t port);

/* Take one finished lookup. Returns 1 with *r filled, 0 when none is ready. */
int resolve_take(struct resolve_result *r);

#endif /* __SNIGATE_RESOLVE_H */
