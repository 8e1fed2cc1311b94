/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/relay.h - the splice() data path (user/relay.c). */
#ifndef __SNIGATE_RELAY_H
#define __SNIGATE_RELAY_H

#include <stdint.h>

struct proxy;
struct conn;

/* An epoll event on the client (which 0) or upstream (1) socket: move what
 * can move, pass FIN and RST on, close c when both directions are done.
 */
void relay_event(struct proxy *p, struct conn *c, int which, uint32_t events);

/* Move what the directions in dirs can (bit 0 client -> upstream, bit 1
 * back). At the relay's start: those whose bytes or FIN came unannounced.
 */
void relay_start(struct proxy *p, struct conn *c, unsigned int dirs);

/* Give a direction's pipe back (pooled for reuse when empty). */
struct conn_dir;
void relay_release(struct conn_dir *d);

#endif /* __SNIGATE_RELAY_H */
