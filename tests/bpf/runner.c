// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/bpf/runner.c - runs tests/unit/vectors.h through the kernel (root).
 *
 * Loads the test_sni skeleton (tests/bpf/test_sni.bpf.c) and runs every
 * vector with BPF_PROG_TEST_RUN behind a well-formed Ethernet + IPv4 + TCP
 * header. Each answer must equal the vector's expected one and the
 * user-space parse of the same bytes (same header, other sni_load); every
 * prefix and the fuzz corpus are tests/bpf/diff.c's. Then seeds test_policy
 * and checks verdicts for a few names, against fixed expectations and
 * against policy_decide() run in user space over the same trie. Prints `[bpf/sni ...] PASS|FAIL|SKIP`; without root or
 * BPF it prints one SKIP line and exits 0.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pkt.h"

/* policy_decide() in user space over the kernel's trie: map is a map fd.
 * BPF_MAP_LOOKUP_ELEM on an LPM trie is a longest-prefix lookup, just like
 * bpf_map_lookup_elem() in the program.
 */
static __always_inline const struct snigate_policy_val *
policy_lookup(void *map, const struct snigate_policy_key *key)
{
	static struct snigate_policy_val val;

	if (bpf_map_lookup_elem(*(int *)map, key, &val))
		return NULL;
	return &val;
}

#include "policy_match.h"
#include "vectors.h"
#include "test_sni.skel.h"

static int passed, failed, skipped;

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

static void report(const char *group, const char *name, const char *reason)
{
	if (reason[0]) {
		printf("[bpf/%s %s] FAIL: %s\n", group, name, reason);
		failed++;
	} else {
		printf("[bpf/%s %s] PASS\n", group, name);
		passed++;
	}
}

static void skip(const char *group, const char *name, const char *reason)
{
	printf("[bpf/%s %s] SKIP: %s\n", group, name, reason);
	skipped++;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* ---- runs ------------------------------------------------------------ */

/* What one run of the program gave. */
struct run {
	int err;			/* bpf_prog_test_run_opts(), -errno */
	int rc;
	struct sni_result res;
	int verdict, reason;
};

static void run_bpf(struct test_sni *skel, const __u8 *payload, __u32 len, struct run *out)
{
	__u32 pkt_len;
	__u8 *pkt = make_pkt(payload, len, 0, &pkt_len);
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt, .data_size_in = pkt_len,
		    .repeat = 1);

	memset(out, 0, sizeof(*out));
	memset(&skel->bss->result, 0x5a, sizeof(skel->bss->result));
	out->err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.test_sni_prog), &topts);
	if (out->err)
		out->err = -errno;
	out->rc = topts.retval;
	out->res = skel->bss->result;
	out->verdict = skel->bss->verdict;
	out->reason = skel->bss->reason;
	free(pkt);
}

static int run_user(const __u8 *p, __u32 len, struct sni_result *res)
{
	struct mem m = { .p = p, .len = len };

	memset(res, 0, sizeof(*res));
	return sni_parse(&m, len, res);
}

/* Kernel and user space agree on rc and on every field that rc defines. */
static void compare(const struct run *k, int urc, const struct sni_result *u, __u32 len,
		    char *r, size_t rl)
{
	if (k->rc != urc) {
		why(r, rl, "%u bytes: kernel %s, user space %s", len, sni_rc_name(k->rc),
		    sni_rc_name(urc));
		return;
	}
	if (urc == SNI_OK && (strcmp(k->res.name, u->name) || k->res.name_len != u->name_len))
		why(r, rl, "%u bytes: kernel name '%.60s'/%u, user space '%.60s'/%u", len,
		    k->res.name, k->res.name_len, u->name, u->name_len);
	if (urc == SNI_OK && k->res.ech != u->ech)
		why(r, rl, "%u bytes: kernel ech %u, user space %u", len, k->res.ech, u->ech);
	if (urc != SNI_AGAIN && urc != SNI_NOT_TLS && k->res.record_len != u->record_len)
		why(r, rl, "%u bytes: kernel record_len %u, user space %u", len,
		    k->res.record_len, u->record_len);
}

/* ---- vectors --------------------------------------------------------- */

static void test_vector(struct test_sni *skel, const struct sni_vector *v)
{
	char r[512] = "", msg[128];
	struct sni_result u;
	struct run k;
	int urc;

	skel->bss->default_verdict = SNIGATE_VERDICT_DENY;
	run_bpf(skel, v->bytes, v->len, &k);
	if (k.err == -EINVAL && v->len + TEST_HDR_LEN > TEST_RUN_SMALL) {
		snprintf(msg, sizeof(msg), "test_run rejects a %u-byte packet (EINVAL): linear "
			 "data is limited to about a page; bpf_diff parses it through XDP",
			 v->len + TEST_HDR_LEN);
		skip("sni", v->desc, msg);
		return;
	}
	if (k.err) {
		why(r, sizeof(r), "bpf_prog_test_run_opts: %s", strerror(-k.err));
		report("sni", v->desc, r);
		return;
	}
	urc = run_user(v->bytes, v->len, &u);
	if (k.rc != (int)v->expect_rc)
		why(r, sizeof(r), "kernel %s, want %s", sni_rc_name(k.rc),
		    sni_rc_name(v->expect_rc));
	compare(&k, urc, &u, v->len, r, sizeof(r));
	if (k.rc == SNI_OK && strcmp(k.res.name, v->expect_name))
		why(r, sizeof(r), "kernel name '%s', want '%s'", k.res.name, v->expect_name);
	if (k.res.ech != v->expect_ech)
		why(r, sizeof(r), "kernel ech %u, want %u", k.res.ech, v->expect_ech);
	if (k.rc != SNI_OK && k.rc != SNI_AGAIN && k.rc != SNI_FRAGMENTED &&
	    (k.verdict != SNIGATE_VERDICT_DENY || k.reason != (int)sni_rc_reason(k.rc)))
		why(r, sizeof(r), "verdict %d reason %d, want DENY reason %d", k.verdict, k.reason,
		    sni_rc_reason(k.rc));
	report("sni", v->desc, r);
}

/* ---- policy ---------------------------------------------------------- */

struct rule {
	const char *name;		/* normalized */
	enum snigate_rule exact, subdomains, domain;
};

/* Rules written the way the CLI stores them: one entry per name, val.rlen =
 * the key length, val.name the forward name.
 */
static const struct rule rules[] = {
	{ "github.com", .subdomains = SNIGATE_RULE_ALLOW },		/* *.github.com */
	{ "evil.github.com", .exact = SNIGATE_RULE_DENY },		/* evil.github.com */
	{ "example.org", .domain = SNIGATE_RULE_ALLOW },		/* .example.org */
	{ "www.example.org", .exact = SNIGATE_RULE_DENY },		/* www.example.org */
	{ "both.test", .exact = SNIGATE_RULE_ALLOW_DENY },		/* allow + deny */
	{ "org", .subdomains = SNIGATE_RULE_DENY },			/* *.org */
};

static int seed_policy(int fd, char *r, size_t rl)
{
	struct snigate_policy_key key;
	struct snigate_policy_val val;
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		memset(&key, 0, sizeof(key));
		memset(&val, 0, sizeof(val));
		val.rlen = policy_make_key(rules[i].name, strlen(rules[i].name), &key);
		val.exact = rules[i].exact;
		val.subdomains = rules[i].subdomains;
		val.domain = rules[i].domain;
		memcpy(val.name, rules[i].name, strlen(rules[i].name));
		if (val.rlen * 8 != key.prefixlen || val.rlen != strlen(key.rname)) {
			why(r, rl, "policy_make_key('%s'): rlen %u, prefixlen %u, rname '%s'",
			    rules[i].name, val.rlen, key.prefixlen, key.rname);
			return -1;
		}
		if (bpf_map_update_elem(fd, &key, &val, BPF_ANY)) {
			why(r, rl, "seeding '%s': %s", rules[i].name, strerror(errno));
			return -1;
		}
	}
	return 0;
}

struct verdict_case {
	const char *host;		/* as sent in server_name */
	enum snigate_verdict dflt;
	enum snigate_verdict verdict;
	enum snigate_reason reason;
};

static const struct verdict_case verdicts[] = {
	{ "a.github.com", SNIGATE_VERDICT_DENY, SNIGATE_VERDICT_ALLOW, SNIGATE_REASON_MATCH },
	{ "x.y.github.com", SNIGATE_VERDICT_DENY, SNIGATE_VERDICT_ALLOW, SNIGATE_REASON_MATCH },
	{ "evil.github.com", SNIGATE_VERDICT_ALLOW, SNIGATE_VERDICT_DENY, SNIGATE_REASON_MATCH },
	{ "x.evil.github.com", SNIGATE_VERDICT_DENY, SNIGATE_VERDICT_ALLOW, SNIGATE_REASON_MATCH },
	{ "github.com", SNIGATE_VERDICT_DENY, SNIGATE_VERDICT_DENY, SNIGATE_REASON_DEFAULT },
	{ "github.com", SNIGATE_VERDICT_ALLOW, SNIGATE_VERDICT_ALLOW, SNIGATE_REASON_DEFAULT },
	{ "evilgithub.com", SNIGATE_VERDICT_DENY, SNIGATE_VERDICT_DENY, SNIGATE_REASON_DEFAULT },
	{ "example.org", SNIGATE_VERDICT_DENY, SNIGATE_VERDICT_ALLOW, SNIGATE_REASON_MATCH },
	{ "a.example.org", SNIGATE_VERDICT_DENY, SNIGATE_VERDICT_ALLOW, SNIGATE_REASON_MATCH },
	{ "www.example.org", SNIGATE_VERDICT_ALLOW, SNIGATE_VERDICT_DENY, SNIGATE_REASON_MATCH },
	{ "WWW.Example.ORG.", SNIGATE_VERDICT_ALLOW, SNIGATE_VERDICT_DENY, SNIGATE_REASON_MATCH },
	{ "x.www.example.org", SNIGATE_VERDICT_DENY, SNIGATE_VERDICT_ALLOW, SNIGATE_REASON_MATCH },
	{ "both.test", SNIGATE_VERDICT_ALLOW, SNIGATE_VERDICT_DENY, SNIGATE_REASON_MATCH },
	{ "other.org", SNIGATE_VERDICT_ALLOW, SNIGATE_VERDICT_DENY, SNIGATE_REASON_MATCH },
	{ "org", SNIGATE_VERDICT_ALLOW, SNIGATE_VERDICT_ALLOW, SNIGATE_REASON_DEFAULT },
	{ "unknown.net", SNIGATE_VERDICT_ALLOW, SNIGATE_VERDICT_ALLOW, SNIGATE_REASON_DEFAULT },
};

static const char *verdict_name(int v)
{
	return v == SNIGATE_VERDICT_ALLOW ? "ALLOW" : v == SNIGATE_VERDICT_DENY ? "DENY" : "NONE";
}

static void test_verdicts(struct test_sni *skel)
{
	int fd = bpf_map__fd(skel->maps.test_policy);
	char r[512], title[128];
	size_t i;

	r[0] = '\0';
	if (seed_policy(fd, r, sizeof(r))) {
		report("policy", "seed test_policy", r);
		return;
	}
	for (i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		const struct verdict_case *c = &verdicts[i];
		struct snigate_policy_key key = {};
		enum snigate_reason ureason;
		enum snigate_verdict uv;
		struct vbuf b = {};
		struct run k;

		r[0] = '\0';
		hello_with_name(&b, c->host);
		skel->bss->default_verdict = c->dflt;
		run_bpf(skel, b.p, b.len, &k);
		free(b.p);
		if (k.err)
			why(r, sizeof(r), "bpf_prog_test_run_opts: %s", strerror(-k.err));
		else if (k.rc != SNI_OK)
			why(r, sizeof(r), "parse %s", sni_rc_name(k.rc));
		else if (k.verdict != (int)c->verdict || k.reason != (int)c->reason)
			why(r, sizeof(r), "kernel %s reason %d, want %s reason %d",
			    verdict_name(k.verdict), k.reason, verdict_name(c->verdict), c->reason);
		if (!r[0]) {
			/* the same decision code in user space, same trie */
			policy_make_key(k.res.name, k.res.name_len, &key);
			uv = policy_decide(&fd, &key, c->dflt, &ureason);
			if ((int)uv != k.verdict || (int)ureason != k.reason)
				why(r, sizeof(r), "user space %s reason %d, kernel %s reason %d",
				    verdict_name(uv), ureason, verdict_name(k.verdict), k.reason);
		}
		snprintf(title, sizeof(title), "%s, default %s", c->host, verdict_name(c->dflt));
		report("policy", title, r);
	}
}

/* The trap for anything that edits the trie: a syscall lookup of a key that
 * is not stored returns the entry of its longest stored prefix, so "is this
 * key there?" must compare val.rlen with the key length.
 */
static void test_lookup_semantics(struct test_sni *skel)
{
	int fd = bpf_map__fd(skel->maps.test_policy);
	struct snigate_policy_key key = {};
	struct snigate_policy_val val;
	char r[512] = "";

	policy_make_key("new.github.com", 14, &key);
	if (bpf_map_lookup_elem(fd, &key, &val))
		why(r, sizeof(r), "no entry returned: %s", strerror(errno));
	else if (val.rlen != 11 || strcmp(val.name, "github.com"))
		why(r, sizeof(r), "returned rlen %u name '%s', want github.com's entry",
		    val.rlen, val.name);
	report("policy", "syscall lookup of an unstored key returns its longest prefix", r);
}

int main(void)
{
	struct test_sni *skel;
	char r[512] = "";
	__u32 i, n;

	if (geteuid() != 0) {
		skip("sni", "all", "not root");
		return 0;
	}
	libbpf_set_print(libbpf_print);
	skel = test_sni__open_and_load();
	if (!skel) {
		int err = errno;

		if (err == EPERM || err == ENOSYS || err == EOPNOTSUPP) {
			skip("sni", "all", "BPF not available");
			return 0;
		}
		why(r, sizeof(r), "cannot load test_sni: %s", strerror(err));
		report("sni", "load", r);
		return 1;
	}

	n = vectors_init();
	for (i = 0; i < n; i++)
		test_vector(skel, &sni_vectors[i]);
	test_verdicts(skel);
	test_lookup_semantics(skel);

	vectors_free();
	test_sni__destroy(skel);
	printf("bpf/sni: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
