// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/unit/test_pattern.c - user/pattern.c and include/policy_match.h, no root.
 *
 * pattern_parse() and pattern_parse_line() accept/reject tables, the trie
 * keys pattern_key() builds, and decisions through pattern_decide() (the
 * kernel's decision code) over an array that answers lookups the way an LPM
 * trie does. Prints `[unit/pattern <check>] PASS|FAIL: why`; exits 1 on failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pattern.h"

#define TABLE_MAX	300
#define ERR_LEN		256

static int failed, passed;

static void why(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the first failure reason of a check group. */
static void why(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf[0])
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static void report(const char *name, const char *reason)
{
	if (reason[0]) {
		printf("[unit/pattern %s] FAIL: %s\n", name, reason);
		failed++;
	} else {
		printf("[unit/pattern %s] PASS\n", name);
		passed++;
	}
}

static const char *kind_name(enum pattern_kind k)
{
	return k == PATTERN_EXACT ? "exact" : k == PATTERN_SUBDOMAINS ? "subdomains" :
	       k == PATTERN_DOMAIN ? "domain" : "?";
}

static const char *verdict_name(enum snigate_verdict v)
{
	return v == SNIGATE_VERDICT_ALLOW ? "ALLOW" : v == SNIGATE_VERDICT_DENY ? "DENY" :
	       v == SNIGATE_VERDICT_NONE ? "NONE" : "?";
}

static const char *reason_name(enum snigate_reason r)
{
	return r == SNIGATE_REASON_MATCH ? "MATCH" : r == SNIGATE_REASON_DEFAULT ? "DEFAULT" :
	       r == SNIGATE_REASON_BAD_NAME ? "BAD_NAME" : "other";
}

/* A name of len bytes: labels of label_len letters joined by dots. */
static char *long_name(char *out, size_t len, size_t label_len)
{
	size_t i, pos = 0, label = 0;

	for (i = 0; i < len; i++) {
		if (pos == label_len && i + 1 < len) {
			out[i] = '.';
			pos = 0;
			label++;
			continue;
		}
		out[i] = 'a' + label % 26;
		pos++;
	}
	out[len] = '\0';
	return out;
}

/* ---- pattern_parse -------------------------------------------------- */

struct parse_case {
	const char *text;
	int ok;
	enum pattern_kind kind;
	const char *name;		/* normalized; NULL: same as text minus prefix */
	const char *canon;		/* pattern_format() */
};

static void check_parse(const char *label, const char *text, int want_ok, enum pattern_kind kind,
			const char *name, const char *canon)
{
	char r[512] = "", err[ERR_LEN] = "", buf[SNIGATE_NAME_MAX + 4], title[128];
	struct pattern p;
	int rc;

	rc = pattern_parse(text, &p, err, sizeof(err));
	if (want_ok) {
		if (rc)
			why(r, sizeof(r), "rejected: %s", err);
		else if (p.kind != kind)
			why(r, sizeof(r), "kind %s, want %s", kind_name(p.kind), kind_name(kind));
		else if (strcmp(p.name, name))
			why(r, sizeof(r), "name '%s', want '%s'", p.name, name);
		else if (p.len != strlen(name))
			why(r, sizeof(r), "len %u, want %zu", p.len, strlen(name));
		if (!rc) {
			pattern_format(&p, buf, sizeof(buf));
			if (strcmp(buf, canon))
				why(r, sizeof(r), "formats as '%s', want '%s'", buf, canon);
		}
	} else {
		if (rc != -EINVAL)
			why(r, sizeof(r), "accepted as %s '%s' (rc %d)", kind_name(p.kind), p.name,
			    rc);
		else if (!err[0])
			why(r, sizeof(r), "rejected without a reason");
	}
	snprintf(title, sizeof(title), "parse %s %s", want_ok ? "accepts" : "rejects", label);
	report(title, r);
}

static void test_parse(void)
{
	static const struct parse_case good[] = {
		{ "github.com", 1, PATTERN_EXACT, "github.com", "github.com" },
		{ "*.github.com", 1, PATTERN_SUBDOMAINS, "github.com", "*.github.com" },
		{ ".github.com", 1, PATTERN_DOMAIN, "github.com", ".github.com" },
		{ "GitHub.COM", 1, PATTERN_EXACT, "github.com", "github.com" },
		{ "*.GitHub.Com", 1, PATTERN_SUBDOMAINS, "github.com", "*.github.com" },
		{ "github.com.", 1, PATTERN_EXACT, "github.com", "github.com" },
		{ ".github.com.", 1, PATTERN_DOMAIN, "github.com", ".github.com" },
		{ "*.github.com.", 1, PATTERN_SUBDOMAINS, "github.com", "*.github.com" },
		{ "com", 1, PATTERN_EXACT, "com", "com" },
		{ "*.com", 1, PATTERN_SUBDOMAINS, "com", "*.com" },
		{ "xn--bcher-kva.example-1.org", 1, PATTERN_EXACT, "xn--bcher-kva.example-1.org",
		  "xn--bcher-kva.example-1.org" },
	};
	static const char *const bad[] = {
		"**", "*", "a*b", "*.", "*.*.x", "foo.*.com", "a..b", ".", "", "exa mple",
		"ex_ample", "b\xc3\xbc" "cher.de", "..github.com", "*..github.com", "github.com..",
		"*github.com", "github.*", ".*.github.com", "*.*", "github.com/", "a.b:443",
		" github.com", "github.com ",
	};
	char name[304], text[320], canon[320];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		check_parse(good[i].text, good[i].text, 1, good[i].kind, good[i].name,
			    good[i].canon);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char label[64];

		if (!bad[i][0])
			snprintf(label, sizeof(label), "empty text");
		else if (bad[i][1] == '\xc3')
			snprintf(label, sizeof(label), "non-ASCII byte");
		else
			snprintf(label, sizeof(label), "'%s'", bad[i]);
		check_parse(label, bad[i], 0, 0, NULL, NULL);
	}

	long_name(name, 253, 63);
	check_parse("253-byte name", name, 1, PATTERN_EXACT, name, name);
	snprintf(text, sizeof(text), "%s.", name);
	check_parse("253-byte name plus trailing dot", text, 1, PATTERN_EXACT, name, name);
	snprintf(text, sizeof(text), "*.%s", name);
	check_parse("*. + 253-byte name", text, 1, PATTERN_SUBDOMAINS, name, text);
	snprintf(canon, sizeof(canon), ".%s", name);
	check_parse(". + 253-byte name", canon, 1, PATTERN_DOMAIN, name, canon);
	long_name(name, 254, 63);
	check_parse("254-byte name", name, 0, 0, NULL, NULL);
	snprintf(text, sizeof(text), "*.%s", name);
	check_parse("*. + 254-byte name", text, 0, 0, NULL, NULL);
	long_name(name, 300, 63);
	check_parse("300-byte name", name, 0, 0, NULL, NULL);
	long_name(name, 63, 63);
	strcat(name, ".com");
	check_parse("63-byte label", name, 1, PATTERN_EXACT, name, name);
	long_name(name, 64, 64);
	strcat(name, ".com");
	check_parse("64-byte label", name, 0, 0, NULL, NULL);
}

/* ---- pattern_parse_line --------------------------------------------- */

struct line_case {
	const char *label;
	const char *line;
	int want;			/* 1, 0 or -EINVAL */
	enum snigate_rule rule;
	enum pattern_kind kind;
	const char *name;
};

static void test_parse_line(void)
{
	static const struct line_case cases[] = {
		{ .label = "empty line", .line = "", .want = 0 },
		{ .label = "blank line", .line = " \t  ", .want = 0 },
		{ .label = "comment", .line = "# allowed hosts", .want = 0 },
		{ .label = "indented comment", .line = "   # github.com", .want = 0 },
		{ .label = "newline only", .line = "\n", .want = 0 },
		{ "bare pattern", "github.com", 1, SNIGATE_RULE_ALLOW, PATTERN_EXACT,
		  "github.com" },
		{ "bare pattern, CRLF", "github.com\r\n", 1, SNIGATE_RULE_ALLOW, PATTERN_EXACT,
		  "github.com" },
		{ "pattern and comment", "  *.github.com   # CI", 1, SNIGATE_RULE_ALLOW,
		  PATTERN_SUBDOMAINS, "github.com" },
		{ "comment without space", "deny x.com#why", 1, SNIGATE_RULE_DENY, PATTERN_EXACT,
		  "x.com" },
		{ "allow x", "allow *.github.com", 1, SNIGATE_RULE_ALLOW, PATTERN_SUBDOMAINS,
		  "github.com" },
		{ "deny x", "deny .evil.com", 1, SNIGATE_RULE_DENY, PATTERN_DOMAIN, "evil.com" },
		{ "deny, tab", "deny\tEvil.COM.", 1, SNIGATE_RULE_DENY, PATTERN_EXACT, "evil.com" },
		{ "deny, extra blanks", "  deny    x.org  ", 1, SNIGATE_RULE_DENY, PATTERN_EXACT,
		  "x.org" },
		{ .label = "garbage word", .line = "block x.com", .want = -EINVAL },
		{ .label = "two patterns", .line = "deny a.com b.com", .want = -EINVAL },
		{ .label = "bad pattern after deny", .line = "deny *", .want = -EINVAL },
		{ .label = "bad bare pattern", .line = "ex_ample.com", .want = -EINVAL },
	};
	char r[512], err[ERR_LEN], title[128];
	enum snigate_rule rule;
	struct pattern p;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct line_case *c = &cases[i];

		r[0] = err[0] = '\0';
		rule = SNIGATE_RULE_NONE;
		memset(&p, 0, sizeof(p));
		rc = pattern_parse_line(c->line, &p, &rule, err, sizeof(err));
		if (rc != c->want)
			why(r, sizeof(r), "rc %d, want %d (%s)", rc, c->want, err);
		else if (rc == 1 && rule != c->rule)
			why(r, sizeof(r), "rule %d, want %d", rule, c->rule);
		else if (rc == 1 && (p.kind != c->kind || strcmp(p.name, c->name)))
			why(r, sizeof(r), "%s '%s', want %s '%s'", kind_name(p.kind), p.name,
			    kind_name(c->kind), c->name);
		else if (rc < 0 && !err[0])
			why(r, sizeof(r), "rejected without a reason");
		snprintf(title, sizeof(title), "parse_line %s", c->label);
		report(title, r);
	}
}

/* ---- a policy_source that behaves like the LPM trie ------------------ */

struct table_entry {
	struct snigate_policy_key key;
	struct snigate_policy_val val;
};

struct table_source {
	struct policy_source src;	/* first: pattern_decide() hands it back */
	struct table_entry e[TABLE_MAX];
	int n;
	int lookups;			/* calls of the last decision */
};

/* Longest stored prefix that is a byte prefix of key->rname within
 * key->prefixlen bits: BPF_MAP_TYPE_LPM_TRIE's lookup for byte-aligned keys.
 */
static const struct snigate_policy_val *table_lookup(struct policy_source *src,
						     const struct snigate_policy_key *key)
{
	struct table_source *t = (struct table_source *)src;
	struct table_entry *best = NULL;
	int i;

	t->lookups++;
	for (i = 0; i < t->n; i++) {
		struct table_entry *e = &t->e[i];

		if (e->key.prefixlen > key->prefixlen)
			continue;
		if (memcmp(e->key.rname, key->rname, e->key.prefixlen / 8))
			continue;
		if (!best || e->key.prefixlen > best->key.prefixlen)
			best = e;
	}
	return best ? &best->val : NULL;
}

static void table_init(struct table_source *t)
{
	memset(t, 0, sizeof(*t));
	t->src.lookup = table_lookup;
}

/* Add one allow-file line the way the CLI stores it: one entry per key,
 * rule bits or-ed into the pattern's slot. Returns 0 or a reason in r.
 */
static int table_add(struct table_source *t, const char *line, char *r, size_t rl)
{
	struct snigate_policy_key key;
	enum snigate_rule rule;
	char err[ERR_LEN] = "", rev[SNIGATE_NAME_MAX + 1];
	struct table_entry *e = NULL;
	struct pattern p;
	int i;

	if (pattern_parse_line(line, &p, &rule, err, sizeof(err)) != 1) {
		why(r, rl, "rule '%s' rejected: %s", line, err);
		return -1;
	}
	pattern_key(&p, &key);
	/* the key is the reversed name plus '.', its length in prefixlen */
	for (i = 0; i < (int)p.len; i++)
		rev[i] = p.name[p.len - 1 - i];
	rev[p.len] = '.';
	rev[p.len + 1] = '\0';
	if (strcmp(key.rname, rev) || key.prefixlen != (p.len + 1) * 8) {
		why(r, rl, "key for '%s' is '%s'/%u, want '%s'/%u", line, key.rname,
		    key.prefixlen, rev, (p.len + 1) * 8);
		return -1;
	}
	for (i = 0; i < t->n; i++)
		if (t->e[i].key.prefixlen == key.prefixlen &&
		    !memcmp(t->e[i].key.rname, key.rname, key.prefixlen / 8))
			e = &t->e[i];
	if (!e) {
		if (t->n == TABLE_MAX)
			abort();
		e = &t->e[t->n++];
		e->key = key;
		memset(&e->val, 0, sizeof(e->val));
		e->val.rlen = strlen(key.rname);
		memcpy(e->val.name, p.name, p.len);
	}
	*pattern_slot(&e->val, p.kind) |= rule;
	return 0;
}

/* ---- decisions ------------------------------------------------------- */

struct decide_case {
	const char *host;
	enum snigate_verdict verdict;
	enum snigate_reason reason;
};

#define ALLOW_MATCH	SNIGATE_VERDICT_ALLOW, SNIGATE_REASON_MATCH
#define DENY_MATCH	SNIGATE_VERDICT_DENY, SNIGATE_REASON_MATCH
#define ALLOW_DEFAULT	SNIGATE_VERDICT_ALLOW, SNIGATE_REASON_DEFAULT
#define DENY_DEFAULT	SNIGATE_VERDICT_DENY, SNIGATE_REASON_DEFAULT
#define DENY_BAD_NAME	SNIGATE_VERDICT_DENY, SNIGATE_REASON_BAD_NAME

struct scenario {
	const char *desc;
	const char *rules[6];		/* allow-file lines, NULL-terminated */
	enum snigate_verdict dflt;
	struct decide_case cases[10];	/* host NULL ends */
};

static const struct scenario scenarios[] = {
	{ "*.github.com: subdomains at any depth, not the name", { "*.github.com" },
	  SNIGATE_VERDICT_DENY,
	  { { "a.github.com", ALLOW_MATCH }, { "a.b.github.com", ALLOW_MATCH },
	    { "github.com", DENY_DEFAULT }, { "evilgithub.com", DENY_DEFAULT },
	    { "github.com.evil.org", DENY_DEFAULT }, { "com", DENY_DEFAULT } } },
	{ ".github.com: the name and its subdomains", { ".github.com" }, SNIGATE_VERDICT_DENY,
	  { { "github.com", ALLOW_MATCH }, { "a.github.com", ALLOW_MATCH },
	    { "x.y.z.github.com", ALLOW_MATCH }, { "evilgithub.com", DENY_DEFAULT },
	    { "hub.com", DENY_DEFAULT } } },
	{ "github.com: the exact name only", { "github.com" }, SNIGATE_VERDICT_DENY,
	  { { "github.com", ALLOW_MATCH }, { "a.github.com", DENY_DEFAULT },
	    { "evilgithub.com", DENY_DEFAULT }, { "com", DENY_DEFAULT } } },
	{ "case-insensitive hosts and patterns", { "*.GitHub.COM.", "Example.ORG" },
	  SNIGATE_VERDICT_DENY,
	  { { "A.GITHUB.com", ALLOW_MATCH }, { "a.GitHub.Com", ALLOW_MATCH },
	    { "EXAMPLE.org", ALLOW_MATCH }, { "GITHUB.COM", DENY_DEFAULT } } },
	{ "trailing dot on the host", { "*.github.com", "example.org" }, SNIGATE_VERDICT_DENY,
	  { { "a.github.com.", ALLOW_MATCH }, { "example.org.", ALLOW_MATCH },
	    { "github.com.", DENY_DEFAULT } } },
	{ "exact allow beats a domain deny", { "allow www.example.org", "deny .example.org" },
	  SNIGATE_VERDICT_ALLOW,
	  { { "www.example.org", ALLOW_MATCH }, { "example.org", DENY_MATCH },
	    { "a.example.org", DENY_MATCH }, { "x.www.example.org", DENY_MATCH } } },
	{ "domain deny beats a shorter subdomains allow", { "deny .example.org", "allow *.org" },
	  SNIGATE_VERDICT_DENY,
	  { { "a.example.org", DENY_MATCH }, { "example.org", DENY_MATCH },
	    { "other.org", ALLOW_MATCH }, { "a.b.other.org", ALLOW_MATCH },
	    { "org", DENY_DEFAULT } } },
	{ "same pattern allowed and denied: deny",
	  { "allow github.com", "deny github.com", "allow *.x.com", "deny *.x.com",
	    "deny .y.com", "allow .y.com" },
	  SNIGATE_VERDICT_ALLOW,
	  { { "github.com", DENY_MATCH }, { "a.x.com", DENY_MATCH }, { "x.com", ALLOW_DEFAULT },
	    { "y.com", DENY_MATCH }, { "a.y.com", DENY_MATCH } } },
	{ "overlapping forms on one name: deny wins where both apply",
	  { "allow .x.org", "deny *.x.org" }, SNIGATE_VERDICT_ALLOW,
	  { { "x.org", ALLOW_MATCH }, { "a.x.org", DENY_MATCH } } },
	{ "nothing matches: default allow", { "allow a.com" }, SNIGATE_VERDICT_ALLOW,
	  { { "b.com", ALLOW_DEFAULT }, { "a.com", ALLOW_MATCH } } },
	{ "nothing matches: default deny", { NULL }, SNIGATE_VERDICT_DENY,
	  { { "b.com", DENY_DEFAULT } } },
	{ "exact rule on a parent falls back to a shorter rule",
	  { "deny github.com", "allow .com" },
	  SNIGATE_VERDICT_DENY,
	  { { "github.com", DENY_MATCH }, { "a.github.com", ALLOW_MATCH },
	    { "com", ALLOW_MATCH } } },
	{ "subdomains rule seen from its own name falls back",
	  { "allow *.github.com", "deny .com" }, SNIGATE_VERDICT_ALLOW,
	  { { "github.com", DENY_MATCH }, { "a.github.com", ALLOW_MATCH },
	    { "gitlab.com", DENY_MATCH } } },
	{ "exact and subdomains on one name", { "deny github.com", "allow *.github.com" },
	  SNIGATE_VERDICT_DENY,
	  { { "github.com", DENY_MATCH }, { "a.github.com", ALLOW_MATCH } } },
	{ "matches end on label boundaries", { "allow .hub.com", "allow *.b.com" },
	  SNIGATE_VERDICT_DENY,
	  { { "github.com", DENY_DEFAULT }, { "hub.com", ALLOW_MATCH },
	    { "a.hub.com", ALLOW_MATCH }, { "ab.com", DENY_DEFAULT },
	    { "a.b.com", ALLOW_MATCH } } },
	{ "invalid host names are denied", { "allow .com", "allow *.com" }, SNIGATE_VERDICT_ALLOW,
	  { { "a..b.com", DENY_BAD_NAME }, { "", DENY_BAD_NAME }, { ".", DENY_BAD_NAME },
	    { "ex_ample.com", DENY_BAD_NAME }, { "exa mple.com", DENY_BAD_NAME },
	    { ".a.com", DENY_BAD_NAME }, { "a.com..", DENY_BAD_NAME } } },
};

static void check_decide(struct table_source *t, const char *host, enum snigate_verdict dflt,
			 enum snigate_verdict want, enum snigate_reason want_reason, char *r,
			 size_t rl)
{
	enum snigate_reason reason = SNIGATE_REASON__MAX;
	enum snigate_verdict v;

	t->lookups = 0;
	v = pattern_decide(&t->src, host, dflt, &reason);
	if (v != want || reason != want_reason)
		why(r, rl, "'%.40s%s': %s/%s, want %s/%s", host, strlen(host) > 40 ? "..." : "",
		    verdict_name(v), reason_name(reason), verdict_name(want),
		    reason_name(want_reason));
}

static void test_decide(void)
{
	static struct table_source t;
	char r[512], title[160];
	size_t i, j;

	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *s = &scenarios[i];

		r[0] = '\0';
		table_init(&t);
		for (j = 0; j < 6 && s->rules[j]; j++)
			table_add(&t, s->rules[j], r, sizeof(r));
		for (j = 0; j < 10 && s->cases[j].host; j++)
			check_decide(&t, s->cases[j].host, s->dflt, s->cases[j].verdict,
				     s->cases[j].reason, r, sizeof(r));
		snprintf(title, sizeof(title), "decide %s", s->desc);
		report(title, r);
	}
}

/* Hosts at the length limits, and the deepest fallback chain a name allows:
 * 127 one-letter labels, an exact rule on every proper suffix (none applies),
 * so the decision walks all of them before reaching the root's rule.
 */
static void test_decide_limits(void)
{
	static struct table_source t;
	char r[512] = "", host[608], line[620];
	size_t i;

	table_init(&t);
	table_add(&t, "allow .com", r, sizeof(r));
	long_name(host, 249, 63);
	strcat(host, ".com");				/* 253 bytes */
	check_decide(&t, host, SNIGATE_VERDICT_DENY, ALLOW_MATCH, r, sizeof(r));
	strcat(host, ".");				/* 254 with the dot */
	check_decide(&t, host, SNIGATE_VERDICT_DENY, ALLOW_MATCH, r, sizeof(r));
	long_name(host, 250, 63);
	strcat(host, ".com");				/* 254 bytes */
	check_decide(&t, host, SNIGATE_VERDICT_ALLOW, DENY_BAD_NAME, r, sizeof(r));
	long_name(host, 600, 63);		/* host[] holds 600 + NUL */
	check_decide(&t, host, SNIGATE_VERDICT_ALLOW, DENY_BAD_NAME, r, sizeof(r));
	report("decide hosts of 253, 253 + dot, 254 and 600 bytes", r);

	r[0] = '\0';
	table_init(&t);
	for (i = 0; i < 126; i++)
		host[2 * i] = 'a', host[2 * i + 1] = '.';
	host[252] = 'a';
	host[253] = '\0';				/* 127 labels, 253 bytes */
	for (i = 1; i < 127; i++) {
		snprintf(line, sizeof(line), "allow %s", host + 2 * i);
		table_add(&t, line, r, sizeof(r));
	}
	check_decide(&t, host, SNIGATE_VERDICT_DENY, DENY_DEFAULT, r, sizeof(r));
	if (!r[0] && t.lookups != 127)
		why(r, sizeof(r), "%d lookups for 126 exact rules, want 127", t.lookups);
	table_add(&t, "deny *.a", r, sizeof(r));
	check_decide(&t, host, SNIGATE_VERDICT_ALLOW, DENY_MATCH, r, sizeof(r));
	report("decide 127 labels, fallback through 126 exact rules", r);
}

/* pattern_key() and the entry the CLI stores agree on the lengths. */
static void test_keys(void)
{
	static const struct {
		const char *text, *rname;
	} cases[] = {
		{ "github.com", "moc.buhtig." },
		{ "*.GitHub.com", "moc.buhtig." },
		{ ".a.b.c.", "c.b.a." },
		{ "x", "x." },
	};
	struct snigate_policy_key key;
	char r[512] = "", err[ERR_LEN];
	struct pattern p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (pattern_parse(cases[i].text, &p, err, sizeof(err))) {
			why(r, sizeof(r), "'%s' rejected: %s", cases[i].text, err);
			continue;
		}
		memset(&key, 0xee, sizeof(key));	/* pattern_key must clear it */
		pattern_key(&p, &key);
		if (strcmp(key.rname, cases[i].rname))
			why(r, sizeof(r), "'%s' -> '%.40s', want '%s'", cases[i].text, key.rname,
			    cases[i].rname);
		else if (key.prefixlen != 8 * strlen(cases[i].rname))
			why(r, sizeof(r), "'%s' prefixlen %u, want %zu", cases[i].text,
			    key.prefixlen, 8 * strlen(cases[i].rname));
		else if (memchr(key.rname + strlen(key.rname), 0xee,
				sizeof(key.rname) - strlen(key.rname)))
			why(r, sizeof(r), "'%s': key bytes after the name not zeroed",
			    cases[i].text);
	}
	report("pattern_key reversed name, prefixlen, zero padding", r);
}

int main(void)
{
	test_parse();
	test_parse_line();
	test_keys();
	test_decide();
	test_decide_limits();
	printf("unit/pattern: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
