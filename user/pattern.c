// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/pattern.c - policy pattern syntax (see pattern.h). The host name rules
 * come from include/sni_parse.h, so a pattern accepts exactly the names the
 * kernel parser can produce.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "pattern.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

static __always_inline int sni_load(void *src, __u32 off, void *dst, __u32 len)
{
	(void)src, (void)off, (void)dst, (void)len;
	return -1;	/* only sni_normalize() is used here */
}

#include "sni_parse.h"

static __always_inline const struct snigate_policy_val *
policy_lookup(void *map, const struct snigate_policy_key *key)
{
	struct policy_source *src = map;

	return src->lookup(src, key);
}

#include "policy_match.h"

enum snigate_verdict pattern_decide(struct policy_source *src, const char *host,
				    enum snigate_verdict dflt, enum snigate_reason *reason)
{
	struct snigate_policy_key key = {};
	char name[SNIGATE_NAME_MAX] = {};
	size_t len = strlen(host);

	if (len > SNIGATE_HOST_MAX + 1)
		len = 0;
	memcpy(name, host, len);
	len = sni_normalize(name, len, &(__u32){ 0 });
	if (!len) {
		*reason = SNIGATE_REASON_BAD_NAME;
		return SNIGATE_VERDICT_DENY;
	}
	policy_make_key(name, len, &key);
	return policy_decide(src, &key, dflt, reason);
}

int pattern_ech_refused(__u32 ech_deny, __u32 ech_offered)
{
	return policy_ech_refused(ech_deny, ech_offered);
}

int pattern_parse(const char *text, struct pattern *p, char *err, size_t errlen)
{
	const char *name = text;
	size_t len, i;

	memset(p, 0, sizeof(*p));
	p->kind = PATTERN_EXACT;
	if (strncmp(name, "*.", 2) == 0) {
		p->kind = PATTERN_SUBDOMAINS;
		name += 2;
	} else if (name[0] == '.') {
		p->kind = PATTERN_DOMAIN;
		name += 1;
	}
	len = strlen(name);
	if (len == 0) {
		snprintf(err, errlen, "'%s': empty name", text);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (name[i] == '*') {
			snprintf(err, errlen, "'%s': '*' may only stand alone as the first label ('*.example.com')", text);
			return -EINVAL;
		}
		if (name[i] != '.' && !sni_is_ldh(name[i])) {
			snprintf(err, errlen, "'%s': byte 0x%02x is not a letter, digit, hyphen or dot",
				 text, (unsigned char)name[i]);
			return -EINVAL;
		}
	}
	if (len > SNIGATE_HOST_MAX + (name[len - 1] == '.')) {
		snprintf(err, errlen, "'%s': name longer than %d characters", text, SNIGATE_HOST_MAX);
		return -EINVAL;
	}
	memcpy(p->name, name, len);
	p->len = sni_normalize(p->name, len, &(__u32){ 0 });
	if (!p->len) {
		snprintf(err, errlen, "'%s': empty label or label over 63 characters", text);
		return -EINVAL;
	}
	return 0;
}

void pattern_format(const struct pattern *p, char *buf, size_t len)
{
	const char *prefix = p->kind == PATTERN_SUBDOMAINS ? "*." :
			     p->kind == PATTERN_DOMAIN ? "." : "";

	snprintf(buf, len, "%s%s", prefix, p->name);
}

void pattern_key(const struct pattern *p, struct snigate_policy_key *key)
{
	memset(key, 0, sizeof(*key));
	policy_make_key(p->name, p->len, key);
}

enum snigate_rule *pattern_slot(struct snigate_policy_val *v, enum pattern_kind kind)
{
	switch (kind) {
	case PATTERN_SUBDOMAINS:
		return &v->subdomains;
	case PATTERN_DOMAIN:
		return &v->domain;
	default:
		return &v->exact;
	}
}

int pattern_parse_line(const char *line, struct pattern *p, enum snigate_rule *rule,
		       char *err, size_t errlen)
{
	char buf[512], *s, *e, *word;

	snprintf(buf, sizeof(buf), "%s", line);
	s = strchr(buf, '#');
	if (s)
		*s = '\0';
	for (s = buf; isspace((unsigned char)*s); s++)
		;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	if (!*s)
		return 0;

	*rule = SNIGATE_RULE_ALLOW;
	if (strcmp(s, "allow") == 0 || strcmp(s, "deny") == 0) {
		snprintf(err, errlen, "'%s': '%s' needs a pattern", line, s);
		return -EINVAL;
	}
	if (strlen(line) >= sizeof(buf) - 1) {
		snprintf(err, errlen, "line longer than %zu bytes", sizeof(buf) - 2);
		return -EINVAL;
	}
	word = s;
	for (e = s; *e && !isspace((unsigned char)*e); e++)
		;
	if (*e) {
		*e++ = '\0';
		while (isspace((unsigned char)*e))
			e++;
		if (strcmp(word, "deny") == 0)
			*rule = SNIGATE_RULE_DENY;
		else if (strcmp(word, "allow") != 0) {
			snprintf(err, errlen, "'%s': expected 'PATTERN', 'allow PATTERN' or 'deny PATTERN'", line);
			return -EINVAL;
		}
		s = e;
		if (strpbrk(s, " \t")) {
			snprintf(err, errlen, "'%s': one pattern per line", line);
			return -EINVAL;
		}
	}
	return pattern_parse(s, p, err, errlen) ? -EINVAL : 1;
}
