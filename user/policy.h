/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/policy.h - rules in the policy trie: edit one, list all, load a file. */
#ifndef __SNIGATE_POLICY_H
#define __SNIGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include "pattern.h"

struct policy_rule {
	struct pattern pat;
	enum snigate_rule rule;		/* ALLOW or DENY */
};

struct policy_file {
	struct policy_rule *rules;
	size_t n;
};

/* Add (add=true) or remove rule for p in the trie behind map_fd.
 * Returns 0, -ENOENT when removing a rule that is not there, or -errno.
 */
int policy_edit(int map_fd, const struct pattern *p, enum snigate_rule rule, bool add);

/* Call fn for every (pattern, rule bit) in the trie. Returns 0 or -errno. */
int policy_walk(int map_fd, void (*fn)(const struct pattern *p, enum snigate_rule rule, void *ctx),
		void *ctx);

/* Parse an allow file. Returns 0, or -EINVAL/-errno with "FILE:LINE: why" printed. */
int policy_file_read(const char *path, struct policy_file *pf);
void policy_file_free(struct policy_file *pf);

/* Write every rule of pf into the (empty) trie behind map_fd. */
int policy_file_apply(int map_fd, const struct policy_file *pf);

/* A policy_source over a trie fd, for pattern_decide(). */
struct policy_map_source {
	struct policy_source src;
	int fd;
	struct snigate_policy_val val;
};
void policy_map_source_init(struct policy_map_source *s, int fd);

#endif /* __SNIGATE_POLICY_H */
