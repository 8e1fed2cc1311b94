/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/relay.h - the splice() data path (user/relay.c). */
#ifndef __SNIGATE_RELAY_H
#define __SNIGATE_RELAY_H

#include <stdint.h>

struct proxy;
struct conn;

/* Something happened on one of c's sockets: move what can move, pass FIN and
 * RST on, close c when both directions are done.
 */
/* which: 0 = the client socket's event, 1 = the upstream's; events 0 = look
 * at both directions (the relay's start)
 */
void relay_event(struct proxy *p, struct conn *c, int which, uint32_t events);

/* Give a direction's pipe back (pooled for reuse when empty). */
struct conn_dir;
void relay_release(struct conn_dir *d);

#endif /* __SNIGATE_RELAY_H */
