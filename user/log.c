// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/log.c - leveled messages; in JSON log mode they become {"level","msg"}. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "json.h"
#include "log.h"

enum log_level log_max_level = LOG_INFO;
bool log_json;

static const char *const level_names[] = { "warn", "info", "debug" };

static void log_vprint(enum log_level lvl, const char *fmt, va_list ap)
{
	char msg[1024];

	if (lvl > log_max_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_json) {
		struct jw w;

		jw_init(&w, stderr);
		jw_start_object(&w);
		jw_float_field(&w, "ts", (double)time(NULL));
		jw_string_field(&w, "level", level_names[lvl]);
		jw_string_field(&w, "msg", msg);
		jw_end_object(&w);
		fputc('\n', stderr);
	} else {
		if (log_max_level == LOG_DEBUG) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			fprintf(stderr, "%ld.%06ld ", ts.tv_sec, ts.tv_nsec / 1000);
		}
		fprintf(stderr, "snigate: %s%s", lvl == LOG_WARN ? "error: " : "", msg);
		if (!*msg || msg[strlen(msg) - 1] != '\n')
			fputc('\n', stderr);
	}
	fflush(stderr);
}

void log_print(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(lvl, fmt, ap);
	va_end(ap);
}

/* libbpf's WARN is ours too (verifier logs on load failure); its INFO and
 * DEBUG are shown with -d only.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN && log_max_level < LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
