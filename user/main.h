/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/main.h - the command table and what every command shares. */
#ifndef __SNIGATE_MAIN_H
#define __SNIGATE_MAIN_H

#include <stdbool.h>

/* Exit statuses. */
#define EXIT_OK		0
#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};

extern bool json_output;	/* -j */

/* Run the command argv[0] names from cmds; help when none or unknown. */
int cmd_select(const struct cmd *cmds, int argc, char **argv, int (*help)(int, char **));

/* A usage error: message on stderr (or JSON on stdout with -j), EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A runtime error, the same way, EXIT_RUNTIME. */
int runtime_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "2.5" (seconds, > 0, at most a day) -> 2500 ms; -EINVAL otherwise */
int parse_seconds(const char *s, int *ms);

const char *verdict_name(int verdict);
const char *reason_name(int reason);

int do_proxy(int argc, char **argv);
int do_filter(int argc, char **argv);
int do_allow(int argc, char **argv);
int do_deny(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_conns(int argc, char **argv);

#endif /* __SNIGATE_MAIN_H */
