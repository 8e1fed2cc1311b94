/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/addr.h - socket addresses: parse "ADDR:PORT", print them. */
#ifndef __SNIGATE_ADDR_H
#define __SNIGATE_ADDR_H

#include <stdint.h>
#include <sys/socket.h>

#define ADDR_STRLEN 64	/* "[v6 address]:port" */

/* "0.0.0.0:8443", "[::]:8443", "10.0.0.1:443". Returns 0 or -EINVAL. */
int addr_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len);

/* "1.2.3.4:443" / "[::1]:443" into buf (ADDR_STRLEN). Returns buf. */
const char *addr_format(const struct sockaddr_storage *ss, char *buf);

uint16_t addr_port(const struct sockaddr_storage *ss);
void addr_set_port(struct sockaddr_storage *ss, uint16_t port);
socklen_t addr_len(const struct sockaddr_storage *ss);
int addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

#endif /* __SNIGATE_ADDR_H */
