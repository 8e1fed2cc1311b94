/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/log.h - leveled messages on stderr; libbpf's output routed through them. */
#ifndef __SNIGATE_LOG_H
#define __SNIGATE_LOG_H

#include <stdbool.h>

enum log_level { LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_max_level;
extern bool log_json;		/* --log json: one JSON object per line */

void log_print(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_setup_libbpf(void);

#define pr_warn(fmt, ...)  log_print(LOG_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)  log_print(LOG_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) log_print(LOG_DEBUG, fmt, ##__VA_ARGS__)

#endif /* __SNIGATE_LOG_H */
