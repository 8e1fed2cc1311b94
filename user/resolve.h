/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/resolve.h - name -> addresses off the event loop.
 * getaddrinfo() on a few worker threads: the system resolver, /etc/hosts and
 * nsswitch honoured, and the event loop never blocks on DNS.
 */
#ifndef __SNIGATE_RESOLVE_H
#define __SNIGATE_RESOLVE_H

#include <stdint.h>
#include <netdb.h>
#include <sys/socket.h>

#define RESOLVE_MAX_ADDRS 8

/* What a name resolved to: what a connection tries, in order. */
struct resolve_addrs {
	int n;
	struct sockaddr_storage a[RESOLVE_MAX_ADDRS];
};

/* How long an answer is reused (ms; --resolve-ttl). getaddrinfo() does not
 * tell the DNS TTL; a short reuse keeps connection bursts off the resolver.
 */
extern uint64_t resolve_ttl_ms;

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

/* Copy ai's addresses (at most RESOLVE_MAX_ADDRS) into out. */
void resolve_addrs_from(const struct addrinfo *ai, struct resolve_addrs *out);

/* A cached answer for name:port, younger than resolve_ttl_ms: 1 and *out. */
int resolve_cache_get(const char *name, uint16_t port, uint64_t now_ms, struct resolve_addrs *out);
void resolve_cache_put(const char *name, uint16_t port, uint64_t now_ms,
		       const struct resolve_addrs *addrs);

#endif /* __SNIGATE_RESOLVE_H */
