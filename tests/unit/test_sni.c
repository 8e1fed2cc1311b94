// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/unit/test_sni.c - include/sni_parse.h in user space, no root needed.
 *
 * Runs every vector of tests/unit/vectors.h through sni_parse() with a
 * memory-backed sni_load() and checks the result, then every shorter prefix
 * of every vector (never a read outside the buffer, AGAIN until the record
 * is whole, a final answer never changes once given) and the vector with
 * junk behind it (bytes after the first record change nothing).
 * Prints `[unit/sni <check>] PASS|FAIL: why`; exits 1 if any check failed.
 */
#include <linux/types.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* The bytes sni_load() serves, and what the parser asked of them. */
struct mem {
	const __u8 *p;
	__u32 len;
	__u32 refused;		/* loads of [off, off + n) not inside p */
};

static __always_inline int sni_load(void *src, __u32 off, void *dst, __u32 n)
{
	struct mem *m = src;

	if (off > m->len || n > m->len - off) {
		m->refused++;
		return -1;
	}
	memcpy(dst, m->p + off, n);
	return 0;
}

#include "sni_parse.h"
#include "vectors.h"

#define JUNK_LEN	64

static int failed, passed;

/* One parse. The bytes go to an exact-size heap copy so a sanitizer build
 * catches any access that bypasses sni_load(). Returns the parser's rc.
 */
static int parse(const __u8 *p, __u32 len, struct sni_result *res, struct mem *m)
{
	__u8 *copy = malloc(len ? len : 1);
	int rc;

	if (!copy)
		abort();
	memcpy(copy, p, len);
	memset(res, 0, sizeof(*res));
	memset(m, 0, sizeof(*m));
	m->p = copy;
	m->len = len;
	rc = sni_parse(m, len, res);
	m->p = NULL;
	free(copy);
	return rc;
}

/* Record the first failure reason of a check group. */
static void why(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void why(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf[0])
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static void report(const char *group, const char *desc, const char *reason)
{
	if (reason[0]) {
		printf("[unit/sni %s%s] FAIL: %s\n", group, desc, reason);
		failed++;
	} else {
		printf("[unit/sni %s%s] PASS\n", group, desc);
		passed++;
	}
}

static int rc_valid(int rc)
{
	return rc >= SNI_OK && rc <= SNI_FRAGMENTED;
}

/* A refused load means the parser followed a length past the bytes it has.
 * That is only acceptable when the answer is that the lengths are wrong.
 */
static void check_refused(char *r, size_t rl, const struct mem *m, int rc, __u32 len)
{
	if (m->refused && rc != SNI_BAD)
		why(r, rl, "%u load(s) outside the %u-byte buffer, then answered %s",
		    m->refused, len, sni_rc_name(rc));
}

/* The vector as a whole: rc, name, lengths, ECH flag. */
static void check_vector(const struct sni_vector *v)
{
	struct sni_result res;
	struct mem m;
	char r[512] = "";
	int rc;

	rc = parse(v->bytes, v->len, &res, &m);
	if (rc != (int)v->expect_rc)
		why(r, sizeof(r), "rc %s, want %s", sni_rc_name(rc), sni_rc_name(v->expect_rc));
	check_refused(r, sizeof(r), &m, rc, v->len);
	if (rc == SNI_OK && v->expect_rc == SNI_OK) {
		if (strcmp(res.name, v->expect_name))
			why(r, sizeof(r), "name '%s', want '%s'", res.name, v->expect_name);
		if (res.name_len != strlen(v->expect_name))
			why(r, sizeof(r), "name_len %u, want %zu", res.name_len,
			    strlen(v->expect_name));
		if (res.record_len != SNI_RECORD_HDR + ((__u32)v->bytes[3] << 8 | v->bytes[4]))
			why(r, sizeof(r), "record_len %u", res.record_len);
		if (res.hello_len != SNI_HS_HDR + ((__u32)v->bytes[6] << 16 |
						   (__u32)v->bytes[7] << 8 | v->bytes[8]))
			why(r, sizeof(r), "hello_len %u", res.hello_len);
	}
	if (res.ech != v->expect_ech)
		why(r, sizeof(r), "ech %u, want %u", res.ech, v->expect_ech);
	report("", v->desc, r);
}

/* Every prefix [0, len) of the vector. */
static void check_prefixes(const struct sni_vector *v)
{
	struct sni_result res, first_res;
	__u32 len, rec_end = 0, first_len = 0;
	int rc, first_rc = SNI_AGAIN;
	struct mem m;
	char r[512] = "";

	/* where the first record ends, if the header is a sane handshake one */
	if (v->len >= SNI_RECORD_HDR && v->bytes[0] == 0x16 && v->bytes[1] == 3) {
		__u32 rl = (__u32)v->bytes[3] << 8 | v->bytes[4];

		if (rl >= SNI_HS_HDR && rl <= SNI_RECORD_MAX)
			rec_end = SNI_RECORD_HDR + rl;
	}

	memset(&first_res, 0, sizeof(first_res));
	for (len = 0; len <= v->len && !r[0]; len++) {
		rc = parse(v->bytes, len, &res, &m);
		if (!rc_valid(rc)) {
			why(r, sizeof(r), "%u bytes: rc %d is no enum sni_rc", len, rc);
			break;
		}
		check_refused(r, sizeof(r), &m, rc, len);
		if (len < rec_end && rc != SNI_AGAIN)
			why(r, sizeof(r), "%u of %u record bytes: %s, want SNI_AGAIN", len,
			    rec_end, sni_rc_name(rc));
		if (first_rc == SNI_AGAIN) {
			if (rc != SNI_AGAIN) {
				first_rc = rc;
				first_len = len;
				first_res = res;
			}
			continue;
		}
		/* once final, the answer must not change as bytes arrive */
		if (rc != first_rc)
			why(r, sizeof(r), "%s at %u bytes, %s at %u", sni_rc_name(first_rc),
			    first_len, sni_rc_name(rc), len);
		else if (rc == SNI_OK && strcmp(res.name, first_res.name))
			why(r, sizeof(r), "name '%s' at %u bytes, '%s' at %u", first_res.name,
			    first_len, res.name, len);
	}
	report("prefixes of: ", v->desc, r);
}

/* The vector with junk behind it: a final answer depends on the first record
 * only. Junk of 0x00, 'a' and 0xff, so a length followed past the record
 * meets bytes that read as small lengths, as a host name, and as neither.
 */
static void check_junk(const struct sni_vector *v)
{
	struct sni_result res, jres;
	struct mem m;
	char r[512] = "";
	__u8 *buf;
	static const __u8 fills[] = { 0x00, 'a', 0xff };
	int rc, jrc;
	__u32 f;

	rc = parse(v->bytes, v->len, &res, &m);
	if (rc == SNI_AGAIN)
		return;				/* more bytes legitimately change it */
	buf = malloc(v->len + JUNK_LEN);
	if (!buf)
		abort();
	memcpy(buf, v->bytes, v->len);
	for (f = 0; f < sizeof(fills); f++) {
		memset(buf + v->len, fills[f], JUNK_LEN);
		jrc = parse(buf, v->len + JUNK_LEN, &jres, &m);
		if (jrc != rc)
			why(r, sizeof(r), "%s alone, %s with %d bytes of 0x%02x behind",
			    sni_rc_name(rc), sni_rc_name(jrc), JUNK_LEN, fills[f]);
		else if (rc == SNI_OK && strcmp(res.name, jres.name))
			why(r, sizeof(r), "name '%s' alone, '%s' with junk", res.name, jres.name);
		else if (res.ech != jres.ech)
			why(r, sizeof(r), "ech %u alone, %u with junk", res.ech, jres.ech);
	}
	free(buf);
	report("junk after: ", v->desc, r);
}

int main(void)
{
	__u32 i, n = vectors_init();

	for (i = 0; i < n; i++)
		check_vector(&sni_vectors[i]);
	for (i = 0; i < n; i++)
		check_prefixes(&sni_vectors[i]);
	for (i = 0; i < n; i++)
		check_junk(&sni_vectors[i]);
	vectors_free();
	printf("unit/sni: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
