// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/main.c - `snigate [OPTIONS] COMMAND ...`: global options, the command table. */
#include <getopt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "log.h"
#include "main.h"
#include "pin.h"
#include "selftest.h"

#define SNIGATE_VERSION "0.1.0"

bool json_output;

static int vreport(int status, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (json_output) {
		struct jw w;

		jw_init(&w, stdout);
		jw_start_object(&w);
		jw_string_field(&w, "error", msg);
		jw_end_object(&w);
		fputc('\n', stdout);
	} else {
		fprintf(stderr, "snigate: %s\n", msg);
	}
	return status;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreport(EXIT_USAGE, fmt, ap);
	va_end(ap);
	return rc;
}

int runtime_error(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreport(EXIT_RUNTIME, fmt, ap);
	va_end(ap);
	return rc;
}

int parse_seconds(const char *s, int *ms)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || v <= 0 || v > 86400)
		return -EINVAL;
	*ms = (int)(v * 1000);
	return 0;
}

int cmd_select(const struct cmd *cmds, int argc, char **argv, int (*help)(int, char **))
{
	const struct cmd *c;

	if (argc < 1)
		return help(argc, argv);
	for (c = cmds; c->name; c++)
		if (strcmp(argv[0], c->name) == 0)
			return c->fn(argc, argv);
	help(argc, argv);
	return usage_error("unknown command '%s'", argv[0]);
}

static int do_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	fprintf(stderr,
		"Usage: snigate [OPTIONS] COMMAND\n"
		"       snigate proxy [--listen ADDR:PORT]... [--transparent] [--upstream sni|origdst]\n"
		"                     [--allow-file FILE] [--default allow|deny] [--log text|json]\n"
		"                     [--conn-mem BYTES] [--hello-timeout S] [--connect-timeout S]\n"
		"                     [--max-conns N] [--data-path splice|sockmap] [--resolve-ttl S]\n"
		"                     [--idle-timeout S] [--keepalive S] [--drain-timeout S]\n"
		"                     [--ech outer|deny] [--allow-ip-sni] [--allow-upstream-net CIDR]...\n"
		"                     [--verify-dns] [--busy-poll USEC] [--workers N] [--no-selftest]\n"
		"       snigate filter --cgroup DIR [--allow-file FILE] [--ports PORT,...]\n"
		"                      [--allow-port PORT[/tcp|/udp]]... [--log text|json] [--no-reset]\n"
		"                      [--hello-timeout S]\n"
		"       snigate allow { add | del | list | test } [PATTERN|NAME]\n"
		"       snigate deny { add | del | list } [PATTERN]\n"
		"       snigate stats\n"
		"       snigate conns\n"
		"       snigate selftest\n"
		"       snigate version\n"
		"PATTERN := { NAME | *.NAME | .NAME }\n"
		"OPTIONS := { -j|--json | -d|--debug | --pin-dir DIR (default %s) }\n",
		SNIGATE_PIN_DIR_DEFAULT);
	return EXIT_OK;
}

static int do_version(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("snigate %s\n", SNIGATE_VERSION);
	return EXIT_OK;
}

static const struct cmd main_cmds[] = {
	{ "proxy", do_proxy },
	{ "filter", do_filter },
	{ "allow", do_allow },
	{ "deny", do_deny },
	{ "stats", do_stats },
	{ "conns", do_conns },
	{ "selftest", do_selftest },
	{ "help", do_help },
	{ "version", do_version },
	{ 0 },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "debug", no_argument, NULL, 'd' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+jdh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json_output = true;
			break;
		case 'd':
			log_max_level = LOG_DEBUG;
			break;
		case 'P':
			pin_dir = optarg;
			break;
		case 'h':
			return do_help(0, NULL);
		default:
			return EXIT_USAGE;
		}
	}
	log_setup_libbpf();
	return cmd_select(main_cmds, argc - optind, argv + optind, do_help);
}
