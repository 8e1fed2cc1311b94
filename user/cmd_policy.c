// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/cmd_policy.c - `snigate allow|deny add|del|list` and `allow test`: one
 * implementation parameterised by the rule, on the running gateway's pins.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "snigate_abi.h"
#include "json.h"
#include "main.h"
#include "pin.h"
#include "policy.h"

static enum snigate_rule cur_rule;	/* ALLOW for `allow ...`, DENY for `deny ...` */

static const char *rule_word(void)
{
	return cur_rule == SNIGATE_RULE_ALLOW ? "allow" : "deny";
}

static int edit(int argc, char **argv, bool add)
{
	struct pattern p;
	char err[300];
	int fd, lock, rc;

	if (argc != 2)
		return usage_error("usage: snigate %s %s PATTERN", rule_word(), argv[0]);
	if (pattern_parse(argv[1], &p, err, sizeof(err)))
		return usage_error("invalid pattern %s", err);
	fd = pin_open_map(SNIGATE_MAP_POLICY);
	if (fd < 0)
		return runtime_error("policy unchanged");
	lock = pin_lock();
	rc = policy_edit(fd, &p, cur_rule, add);
	if (lock >= 0)
		close(lock);
	close(fd);
	if (rc == -ENOENT)
		return runtime_error("no %s rule for '%s'", rule_word(), argv[1]);
	if (rc)
		return runtime_error("policy unchanged");
	if (json_output)
		printf("null\n");
	return EXIT_OK;
}

static int do_add(int argc, char **argv)
{
	return edit(argc, argv, true);
}

static int do_del(int argc, char **argv)
{
	return edit(argc, argv, false);
}

struct list_ctx {
	struct jw w;
	int n;
};

static void list_one(const struct pattern *p, enum snigate_rule rule, void *arg)
{
	struct list_ctx *ctx = arg;
	char text[SNIGATE_NAME_MAX + 2];

	if (rule != cur_rule)
		return;
	pattern_format(p, text, sizeof(text));
	if (json_output) {
		jw_start_object(&ctx->w);
		jw_string_field(&ctx->w, "pattern", text);
		jw_string_field(&ctx->w, "verdict", rule_word());
		jw_end_object(&ctx->w);
	} else {
		printf("%s\n", text);
	}
	ctx->n++;
}

static int do_list(int argc, char **argv)
{
	struct list_ctx ctx = {};
	int fd, rc;

	(void)argv;
	if (argc != 1)
		return usage_error("usage: snigate %s list", rule_word());
	fd = pin_open_map(SNIGATE_MAP_POLICY);
	if (fd < 0)
		return EXIT_RUNTIME;
	if (json_output) {
		jw_init(&ctx.w, stdout);
		jw_start_array(&ctx.w);
	}
	rc = policy_walk(fd, list_one, &ctx);
	if (json_output) {
		jw_end_array(&ctx.w);
		putchar('\n');
	}
	close(fd);
	return rc ? runtime_error("cannot read the policy: %s", strerror(-rc)) : EXIT_OK;
}

/* What a connection to NAME would get now, computed by the kernel's code. */
static int do_test(int argc, char **argv)
{
	struct policy_map_source src;
	struct snigate_config cfg = { .default_verdict = SNIGATE_VERDICT_DENY };
	enum snigate_reason reason;
	enum snigate_verdict v;
	__u32 zero = 0;
	int fd, cfd;

	if (argc != 2)
		return usage_error("usage: snigate allow test NAME");
	fd = pin_open_map(SNIGATE_MAP_POLICY);
	if (fd < 0)
		return EXIT_RUNTIME;
	cfd = pin_open_map(SNIGATE_MAP_CONFIG);
	if (cfd >= 0) {
		bpf_map_lookup_elem(cfd, &zero, &cfg);
		close(cfd);
	}
	policy_map_source_init(&src, fd);
	v = pattern_decide(&src.src, argv[1], cfg.default_verdict, &reason);
	close(fd);
	if (json_output) {
		struct jw w;

		jw_init(&w, stdout);
		jw_start_object(&w);
		jw_string_field(&w, "name", argv[1]);
		jw_string_field(&w, "verdict", verdict_name(v));
		jw_string_field(&w, "reason", reason_name(reason));
		jw_end_object(&w);
		putchar('\n');
	} else {
		printf("%s %s (%s)\n", argv[1], verdict_name(v), reason_name(reason));
	}
	return EXIT_OK;
}

static int do_policy_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	fprintf(stderr,
		"Usage: snigate %s { add | del | list%s } [PATTERN]\n"
		"PATTERN := { NAME | *.NAME | .NAME }\n"
		"  NAME      exactly that name\n"
		"  *.NAME    any subdomain of NAME, not NAME itself\n"
		"  .NAME     NAME and every subdomain\n",
		rule_word(), cur_rule == SNIGATE_RULE_ALLOW ? " | test" : "");
	return EXIT_OK;
}

static const struct cmd policy_cmds[] = {
	{ "add", do_add },
	{ "del", do_del },
	{ "delete", do_del },
	{ "list", do_list },
	{ "show", do_list },
	{ "test", do_test },
	{ "help", do_policy_help },
	{ 0 },
};

int do_allow(int argc, char **argv)
{
	cur_rule = SNIGATE_RULE_ALLOW;
	return cmd_select(policy_cmds, argc - 1, argv + 1, do_policy_help);
}

int do_deny(int argc, char **argv)
{
	cur_rule = SNIGATE_RULE_DENY;
	return cmd_select(policy_cmds, argc - 1, argv + 1, do_policy_help);
}
