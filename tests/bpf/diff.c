// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/bpf/diff.c - differential check of the one ClientHello parser (root).
 *
 *   bpf_diff [CORPUS_DIR...]
 *
 * include/sni_parse.h runs in the kernel (BPF_PROG_TEST_RUN) and in user
 * space (a memory sni_load); both must give the same result code, name,
 * name length, record and hello lengths and ECH flag for:
 *   - every vector of tests/unit/vectors.h (also the fuzz seed corpus,
 *     tests/fuzz/seeds.c writes exactly these) and every prefix of each;
 *   - every file in each CORPUS_DIR (tests/fuzz/run.sh keeps the corpus
 *     libFuzzer grew in build/tests/fuzz-corpus).
 * Each input goes through two programs: the tc one (test_sni.bpf.c,
 * bpf_skb_load_bytes as in the gateway) while it fits an skb test run's
 * linear data, and the XDP multi-buffer one (test_sni_xdp.bpf.c) at any size.
 * Prints how many inputs were compared; a disagreement fails with a hex dump
 * of the input. Without root or BPF: one SKIP line, exit 0.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pkt.h"
#include "vectors.h"
#include "test_sni.skel.h"
#include "test_sni_xdp.skel.h"

#define CORPUS_MAX_FILES	50000	/* bound the tier's time: a 60 s fuzz run keeps a few thousand */
#define CORPUS_MAX_SIZE		65536	/* fuzz inputs are capped at 20000 bytes (run.sh) */
#define DUMP_MAX		1024	/* hex dump at most this much of an input */
#define SHOW_MAX		3	/* disagreements shown in full per group */

struct kernel {
	struct test_sni *tc;
	struct test_sni_xdp *xdp;
};

/* An input the kernel and user space disagree on. */
struct disagreement {
	char what[500];
	__u8 *bytes;
	__u32 len;
};

/* One group of inputs: counts for its result line, the first disagreements. */
struct group {
	const char *name;
	unsigned inputs, tc_runs, xdp_runs, bad;
	struct disagreement shown[SHOW_MAX];
};

static int failed_groups;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void hexdump(const __u8 *p, __u32 len)
{
	__u32 i, n = len < DUMP_MAX ? len : DUMP_MAX;

	for (i = 0; i < n; i++) {
		if (i % 32 == 0)
			printf("%s    %04x:", i ? "\n" : "", i);
		printf(" %02x", p[i]);
	}
	if (n)
		printf("\n");
	if (n < len)
		printf("    ... %u more bytes\n", len - n);
}

/* Same fields, same values? Writes the first difference to why. */
static int same(const char *who, int krc, const struct sni_result *k, int urc,
		const struct sni_result *u, char *why, size_t wl)
{
	if (krc != urc)
		snprintf(why, wl, "%s %s, user space %s", who, sni_rc_name(krc), sni_rc_name(urc));
	else if (k->name_len != u->name_len || strncmp(k->name, u->name, sizeof(k->name)))
		snprintf(why, wl, "%s name '%.60s'/%u, user space '%.60s'/%u", who, k->name,
			 k->name_len, u->name, u->name_len);
	else if (k->record_len != u->record_len)
		snprintf(why, wl, "%s record_len %u, user space %u", who, k->record_len,
			 u->record_len);
	else if (k->hello_len != u->hello_len)
		snprintf(why, wl, "%s hello_len %u, user space %u", who, k->hello_len,
			 u->hello_len);
	else if (k->ech != u->ech)
		snprintf(why, wl, "%s ech %u, user space %u", who, k->ech, u->ech);
	else
		return 1;
	return 0;
}

static int run_tc(struct kernel *kn, const __u8 *in, __u32 len, struct sni_result *res,
		  int *rc)
{
	__u32 pkt_len;
	__u8 *pkt = make_pkt(in, len, 0, &pkt_len);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = pkt_len, .repeat = 1);
	int err;

	memset(&kn->tc->bss->result, 0x5a, sizeof(kn->tc->bss->result));
	err = bpf_prog_test_run_opts(bpf_program__fd(kn->tc->progs.test_sni_prog), &o);
	err = err ? -errno : 0;
	free(pkt);
	*rc = o.retval;
	*res = kn->tc->bss->result;
	return err;
}

static int run_xdp(struct kernel *kn, const __u8 *in, __u32 len, struct sni_result *res,
		   int *rc)
{
	__u32 pkt_len;
	__u8 *pkt = make_pkt(in, len, 1, &pkt_len);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = pkt_len, .repeat = 1);
	int err;

	memset(&kn->xdp->bss->xdp_result, 0x5a, sizeof(kn->xdp->bss->xdp_result));
	kn->xdp->bss->xdp_rc = -1;
	err = bpf_prog_test_run_opts(bpf_program__fd(kn->xdp->progs.test_sni_xdp_prog), &o);
	err = err ? -errno : 0;
	free(pkt);
	*rc = kn->xdp->bss->xdp_rc;
	*res = kn->xdp->bss->xdp_result;
	return err;
}

/* Parse one input in user space and in both programs; count, and show a
 * disagreement. what names the input (vector, prefix length, file).
 */
static void diff_one(struct kernel *kn, struct group *g, const char *what, const __u8 *in,
		     __u32 len)
{
	struct sni_result u, k;
	struct mem m = { .p = in, .len = len };
	char why[400] = "";
	int urc, krc, err;

	memset(&u, 0, sizeof(u));
	urc = sni_parse(&m, len, &u);
	g->inputs++;

	if (len + TEST_HDR_LEN <= TEST_RUN_SMALL) {
		err = run_tc(kn, in, len, &k, &krc);
		if (err)
			snprintf(why, sizeof(why), "tc test run: %s", strerror(-err));
		else
			same("tc", krc, &k, urc, &u, why, sizeof(why));
		g->tc_runs++;
	}
	if (!why[0]) {
		err = run_xdp(kn, in, len, &k, &krc);
		if (err)
			snprintf(why, sizeof(why), "xdp test run: %s", strerror(-err));
		else
			same("xdp", krc, &k, urc, &u, why, sizeof(why));
		g->xdp_runs++;
	}
	if (!why[0])
		return;
	if (g->bad < SHOW_MAX) {
		struct disagreement *d = &g->shown[g->bad];

		snprintf(d->what, sizeof(d->what), "%s, %u bytes: %s", what, len, why);
		d->bytes = malloc(len + 1);
		if (!d->bytes)
			abort();
		memcpy(d->bytes, in, len);
		d->len = len;
	}
	g->bad++;
}

/* The result line; under a FAIL, each shown disagreement and its input. */
static void group_report(struct group *g)
{
	unsigned i;

	if (g->bad) {
		printf("[bpf/diff %s] FAIL: %u of %u inputs disagree; first: %s\n", g->name,
		       g->bad, g->inputs, g->shown[0].what);
		for (i = 0; i < g->bad && i < SHOW_MAX; i++) {
			printf("    %s\n", g->shown[i].what);
			hexdump(g->shown[i].bytes, g->shown[i].len);
			free(g->shown[i].bytes);
		}
		failed_groups++;
		return;
	}
	printf("[bpf/diff %s] PASS: %u inputs compared (%u through tc, %u through XDP)\n",
	       g->name, g->inputs, g->tc_runs, g->xdp_runs);
}

/* Every vector, whole and cut at every length below its own. */
static void diff_vectors(struct kernel *kn)
{
	struct group whole = { .name = "unit vectors (= fuzz seeds)" };
	struct group cut = { .name = "every prefix of every vector" };
	char what[200];
	__u32 i, n, len;

	n = vectors_init();
	for (i = 0; i < n; i++) {
		const struct sni_vector *v = &sni_vectors[i];

		diff_one(kn, &whole, v->desc, v->bytes, v->len);
		for (len = 0; len < v->len; len++) {
			snprintf(what, sizeof(what), "prefix of '%s'", v->desc);
			diff_one(kn, &cut, what, v->bytes, len);
		}
	}
	vectors_free();
	group_report(&whole);
	group_report(&cut);
}

static __u8 *read_file(const char *path, __u32 *len)
{
	struct stat sb;
	__u8 *buf;
	FILE *f;

	if (stat(path, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > CORPUS_MAX_SIZE)
		return NULL;
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	buf = malloc(sb.st_size + 1);
	if (buf && fread(buf, 1, sb.st_size, f) != (size_t)sb.st_size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = sb.st_size;
	return buf;
}

/* Every file of a corpus directory, whole. */
static void diff_corpus(struct kernel *kn, const char *dir)
{
	char name[300], path[4096];
	struct group g = { .name = name };
	unsigned skipped = 0;
	struct dirent *de;
	__u32 len;
	__u8 *in;
	DIR *d;

	snprintf(name, sizeof(name), "corpus %s", dir);
	d = opendir(dir);
	if (!d) {
		printf("[bpf/diff %s] SKIP: %s (the fuzz tier writes it: make fuzz)\n", name,
		       strerror(errno));
		return;
	}
	while ((de = readdir(d)) && g.inputs < CORPUS_MAX_FILES) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		in = read_file(path, &len);
		if (!in) {
			skipped++;
			continue;
		}
		diff_one(kn, &g, path, in, len);
		free(in);
	}
	closedir(d);
	if (skipped)
		printf("    %u files not read (not regular, or over %u bytes)\n", skipped,
		       CORPUS_MAX_SIZE);
	if (g.inputs == 0 && !skipped) {
		printf("[bpf/diff %s] SKIP: empty\n", name);
		return;
	}
	group_report(&g);
}

int main(int argc, char **argv)
{
	struct kernel kn = {};
	int i, err;

	if (geteuid() != 0) {
		printf("[bpf/diff all] SKIP: not root\n");
		return 0;
	}
	libbpf_set_print(libbpf_print);
	kn.tc = test_sni__open_and_load();
	err = kn.tc ? 0 : errno;
	if (!err) {
		kn.xdp = test_sni_xdp__open_and_load();
		err = kn.xdp ? 0 : errno;
	}
	if (err) {
		test_sni__destroy(kn.tc);
		if (err == EPERM || err == ENOSYS || err == EOPNOTSUPP) {
			printf("[bpf/diff all] SKIP: BPF not available\n");
			return 0;
		}
		printf("[bpf/diff load] FAIL: cannot load the test programs: %s\n", strerror(err));
		return 1;
	}
	diff_vectors(&kn);
	for (i = 1; i < argc; i++)
		diff_corpus(&kn, argv[i]);
	test_sni_xdp__destroy(kn.xdp);
	test_sni__destroy(kn.tc);
	return failed_groups ? 1 : 0;
}
