// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/policy.c - policy rules in the pinned LPM trie (see include/policy_match.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "log.h"
#include "policy.h"

int policy_edit(int map_fd, const struct pattern *p, enum snigate_rule rule, bool add)
{
	struct snigate_policy_key key;
	struct snigate_policy_val val = {};
	enum snigate_rule *slot;
	bool found;
	int err;

	pattern_key(p, &key);
	/* an LPM lookup answers the longest stored prefix: only an entry of
	 * exactly this name's length is this name's entry
	 */
	found = bpf_map_lookup_elem(map_fd, &key, &val) == 0 && val.rlen == key.prefixlen / 8;
	if (!found) {
		if (!add)
			return -ENOENT;
		memset(&val, 0, sizeof(val));
		val.rlen = key.prefixlen / 8;
		memcpy(val.name, p->name, p->len);
	}
	slot = pattern_slot(&val, p->kind);
	if (add) {
		*slot |= rule;
	} else {
		if (!(*slot & rule))
			return -ENOENT;
		*slot &= ~rule;
	}
	if (!val.exact && !val.subdomains && !val.domain)
		err = bpf_map_delete_elem(map_fd, &key);
	else
		err = bpf_map_update_elem(map_fd, &key, &val, BPF_ANY);
	if (err) {
		err = -errno;
		if (err == -ENOSPC || err == -E2BIG)
			pr_warn("policy map is full (%d rules)", SNIGATE_POLICY_MAX);
		else
			pr_warn("cannot update the policy map: %s", strerror(-err));
		return err;
	}
	return 0;
}

int policy_walk(int map_fd, void (*fn)(const struct pattern *p, enum snigate_rule rule, void *ctx),
		void *ctx)
{
	static const enum pattern_kind kinds[] = { PATTERN_EXACT, PATTERN_DOMAIN, PATTERN_SUBDOMAINS };
	struct snigate_policy_key key, next;
	struct snigate_policy_val val;
	struct pattern p;
	void *prev = NULL;
	size_t i;

	while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(map_fd, &key, &val))
			continue;	/* removed meanwhile */
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			enum snigate_rule r = *pattern_slot(&val, kinds[i]);

			memset(&p, 0, sizeof(p));
			p.kind = kinds[i];
			snprintf(p.name, sizeof(p.name), "%s", val.name);
			p.len = strlen(p.name);
			if (r & SNIGATE_RULE_ALLOW)
				fn(&p, SNIGATE_RULE_ALLOW, ctx);
			if (r & SNIGATE_RULE_DENY)
				fn(&p, SNIGATE_RULE_DENY, ctx);
		}
	}
	return errno == ENOENT ? 0 : -errno;
}

int policy_file_read(const char *path, struct policy_file *pf)
{
	char line[1024], err[300];
	struct policy_rule r, *grown;
	size_t cap = 0;
	int lineno = 0, rc = 0;
	FILE *f;

	memset(pf, 0, sizeof(*pf));
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		pr_warn("cannot read allow file %s: %s", path, strerror(errno));
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		rc = pattern_parse_line(line, &r.pat, &r.rule, err, sizeof(err));
		if (rc < 0) {
			pr_warn("%s:%d: %s", path, lineno, err);
			break;
		}
		if (rc == 0)
			continue;
		rc = 0;
		if (pf->n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(pf->rules, cap * sizeof(*grown));
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			pf->rules = grown;
		}
		pf->rules[pf->n++] = r;
	}
	fclose(f);
	if (rc)
		policy_file_free(pf);
	return rc;
}

void policy_file_free(struct policy_file *pf)
{
	free(pf->rules);
	pf->rules = NULL;
	pf->n = 0;
}

int policy_file_apply(int map_fd, const struct policy_file *pf)
{
	size_t i;
	int err;

	for (i = 0; i < pf->n; i++) {
		err = policy_edit(map_fd, &pf->rules[i].pat, pf->rules[i].rule, true);
		if (err)
			return err;
	}
	return 0;
}

static const struct snigate_policy_val *map_lookup(struct policy_source *src,
						   const struct snigate_policy_key *key)
{
	struct policy_map_source *s = (struct policy_map_source *)src;

	return bpf_map_lookup_elem(s->fd, key, &s->val) ? NULL : &s->val;
}

void policy_map_source_init(struct policy_map_source *s, int fd)
{
	s->src.lookup = map_lookup;
	s->fd = fd;
}
