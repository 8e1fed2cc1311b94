/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/pattern.h - policy patterns: parse, validate, turn into trie keys.
 *   github.com      exact name
 *   *.github.com    any subdomain at any depth, not github.com itself
 *   .github.com     github.com and every subdomain
 * Case-insensitive; one trailing dot ignored.
 */
#ifndef __SNIGATE_PATTERN_H
#define __SNIGATE_PATTERN_H

#include <stddef.h>
#include <linux/types.h>
#include "snigate_abi.h"

enum pattern_kind {
	PATTERN_EXACT = 0,
	PATTERN_SUBDOMAINS,
	PATTERN_DOMAIN,
};

struct pattern {
	enum pattern_kind kind;
	__u32 len;			/* strlen(name) */
	char name[SNIGATE_NAME_MAX];	/* normalized base name, no '*.' or leading '.' */
};

/* Parse text into p. Returns 0, or -EINVAL with a reason in err. */
int pattern_parse(const char *text, struct pattern *p, char *err, size_t errlen);

/* "*.github.com" etc. into buf. */
void pattern_format(const struct pattern *p, char *buf, size_t len);

/* The trie key for p's name. */
void pattern_key(const struct pattern *p, struct snigate_policy_key *key);

/* The rule slot of v that p's kind uses. */
enum snigate_rule *pattern_slot(struct snigate_policy_val *v, enum pattern_kind kind);

/* One line of an allow file: "PATTERN", "allow PATTERN" or "deny PATTERN",
 * '#' starts a comment. Returns 1 with *p and *rule set, 0 for a blank line,
 * -EINVAL with a reason in err.
 */
int pattern_parse_line(const char *line, struct pattern *p, enum snigate_rule *rule,
		       char *err, size_t errlen);

/* Where policy_decide() looks rules up: a pinned trie, or a test table. */
struct policy_source {
	const struct snigate_policy_val *(*lookup)(struct policy_source *src,
						   const struct snigate_policy_key *key);
};

/* The verdict the kernel would give host (same code as the BPF verdict).
 * An invalid host name is denied with SNIGATE_REASON_BAD_NAME.
 */
enum snigate_verdict pattern_decide(struct policy_source *src, const char *host,
				    enum snigate_verdict dflt, enum snigate_reason *reason);

/* include/policy_match.h's ECH rule, for hellos parsed in user space. */
int pattern_ech_refused(__u32 ech_deny, __u32 ech_offered);

#endif /* __SNIGATE_PATTERN_H */
