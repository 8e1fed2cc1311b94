/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* tests/unit/vectors.h - the ClientHello byte vectors for include/sni_parse.h.
 *
 * One table, used by tests/unit/test_sni.c (memory-backed sni_load) and by
 * tests/bpf/runner.c (BPF_PROG_TEST_RUN). Each row names a small builder that
 * assembles the bytes with computed lengths, so a vector reads as "a good
 * hello, then this one field lies". vectors_init() runs the builders and
 * fills in bytes/len.
 *
 * Include after sni_load() is defined (sni_parse.h needs it); user space
 * only: the builders use realloc().
 */
#ifndef __SNIGATE_TEST_VECTORS_H
#define __SNIGATE_TEST_VECTORS_H

#include <linux/types.h>
#include <stdlib.h>
#include <string.h>
#include "sni_parse.h"

/* ---- byte builder ---------------------------------------------------- */

struct vbuf {
	__u8 *p;
	__u32 len;
	__u32 cap;
	char *name;		/* where a builder writes a computed expected name */
};

static inline void vb_reserve(struct vbuf *b, __u32 n)
{
	__u32 cap = b->cap ? b->cap : 256;

	if (b->len + n <= b->cap)
		return;
	while (cap < b->len + n)
		cap *= 2;
	b->p = realloc(b->p, cap);
	if (!b->p)
		abort();
	b->cap = cap;
}

static inline void vb_bytes(struct vbuf *b, const void *src, __u32 n)
{
	if (!n)
		return;
	vb_reserve(b, n);
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static inline void vb_fill(struct vbuf *b, __u8 c, __u32 n)
{
	if (!n)
		return;
	vb_reserve(b, n);
	memset(b->p + b->len, c, n);
	b->len += n;
}

static inline void vb_str(struct vbuf *b, const char *s)
{
	vb_bytes(b, s, strlen(s));
}

static inline void vb_u8(struct vbuf *b, __u32 v)
{
	__u8 x = v;

	vb_bytes(b, &x, 1);
}

static inline void vb_u16(struct vbuf *b, __u32 v)
{
	vb_u8(b, v >> 8);
	vb_u8(b, v);
}

static inline void vb_u24(struct vbuf *b, __u32 v)
{
	vb_u8(b, v >> 16);
	vb_u16(b, v);
}

/* Big-endian field of width bytes at offset at. */
static inline void vb_set(struct vbuf *b, __u32 at, __u32 width, __u32 v)
{
	while (width--) {
		b->p[at + width] = v;
		v >>= 8;
	}
}

static inline __u32 vb_get(const struct vbuf *b, __u32 at, __u32 width)
{
	__u32 v = 0;

	while (width--)
		v = v << 8 | b->p[at++];
	return v;
}

/* A length field of width bytes, filled in by vb_close() with the number of
 * bytes written after it. Returns its offset.
 */
static inline __u32 vb_open(struct vbuf *b, __u32 width)
{
	__u32 at = b->len;

	vb_fill(b, 0, width);
	return at;
}

static inline void vb_close(struct vbuf *b, __u32 at, __u32 width)
{
	vb_set(b, at, width, b->len - at - width);
}

/* ---- ClientHello builder -------------------------------------------- */

/* Offsets of the length fields, for vectors that make one of them lie. */
struct hello {
	struct vbuf *b;
	__u32 rec;		/* u16 record length (always 3) */
	__u32 hs;		/* u24 handshake length (always 6) */
	__u32 sid;		/* u8 session id length */
	__u32 cs;		/* u16 cipher suites length */
	__u32 cm;		/* u8 compression methods length */
	__u32 exts;		/* u16 extensions length, 0 once dropped */
	__u32 sni;		/* start of the last server_name extension (its type) */
};

#define HELLO_GREASE	1	/* GREASE cipher suite first (RFC 8701) */

static const __u16 hello_suites[] = {
	0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
	0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
};

/* Record header, handshake header, version, random, session id, cipher
 * suites, compression and an open extensions list.
 */
static inline void hello_begin(struct hello *h, struct vbuf *b, __u32 rec_version,
			       __u32 sid_len, __u32 n_suites, int flags)
{
	__u32 i;

	memset(h, 0, sizeof(*h));
	h->b = b;
	vb_u8(b, 0x16);					/* handshake record */
	vb_u16(b, rec_version);
	h->rec = vb_open(b, 2);
	vb_u8(b, 0x01);					/* client_hello */
	h->hs = vb_open(b, 3);
	vb_u16(b, 0x0303);				/* legacy_version TLS 1.2 */
	for (i = 0; i < 32; i++)
		vb_u8(b, i * 37 + 11);			/* random */
	h->sid = b->len;
	vb_u8(b, sid_len);
	for (i = 0; i < sid_len; i++)
		vb_u8(b, 0xa0 + i);
	h->cs = vb_open(b, 2);
	if (flags & HELLO_GREASE)
		vb_u16(b, 0x2a2a);
	for (i = 0; i < n_suites; i++)
		vb_u16(b, hello_suites[i % (sizeof(hello_suites) / sizeof(hello_suites[0]))]);
	vb_close(b, h->cs, 2);
	h->cm = b->len;
	vb_u8(b, 1);
	vb_u8(b, 0);					/* null compression */
	h->exts = vb_open(b, 2);
}

/* The hello without an extensions block at all (pre-TLS 1.2 style). */
static inline void hello_drop_exts(struct hello *h)
{
	h->b->len = h->exts;
	h->exts = 0;
}

static inline void hello_ext(struct hello *h, __u32 type, const void *data, __u32 len)
{
	vb_u16(h->b, type);
	vb_u16(h->b, len);
	vb_bytes(h->b, data, len);
}

/* Extension with len zero bytes. */
static inline void hello_ext_zeros(struct hello *h, __u32 type, __u32 len)
{
	vb_u16(h->b, type);
	vb_u16(h->b, len);
	vb_fill(h->b, 0, len);
}

/* server_name with one entry of any name_type and any bytes. */
static inline void hello_sni_raw(struct hello *h, __u32 name_type, const void *name, __u32 len)
{
	struct vbuf *b = h->b;
	__u32 ext, list;

	h->sni = b->len;
	vb_u16(b, SNI_EXT_SERVER_NAME);
	ext = vb_open(b, 2);
	list = vb_open(b, 2);
	vb_u8(b, name_type);
	vb_u16(b, len);
	vb_bytes(b, name, len);
	vb_close(b, list, 2);
	vb_close(b, ext, 2);
}

static inline void hello_sni(struct hello *h, const char *name)
{
	hello_sni_raw(h, 0, name, strlen(name));
}

/* Close the open lengths: extensions, handshake, record. */
static inline void hello_end(struct hello *h)
{
	if (h->exts)
		vb_close(h->b, h->exts, 2);
	vb_close(h->b, h->hs, 3);
	vb_close(h->b, h->rec, 2);
}

/* A few real extension bodies (RFC 8446 4.2, RFC 7301, RFC 8422). */
static inline void hello_exts_common(struct hello *h)
{
	static const __u8 ec_point_formats[] = { 0x03, 0x00, 0x01, 0x02 };
	static const __u8 groups[] = { 0x00, 0x0a, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e,
				       0x00, 0x19, 0x00, 0x18 };
	static const __u8 sigalgs[] = { 0x00, 0x10, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03,
					0x08, 0x07, 0x08, 0x08, 0x08, 0x04, 0x08, 0x05,
					0x08, 0x06 };
	static const __u8 versions[] = { 0x04, 0x03, 0x04, 0x03, 0x03 };
	static const __u8 psk_modes[] = { 0x01, 0x01 };
	__u8 key_share[2 + 4 + 32];
	__u32 i;

	hello_ext(h, 0x000b, ec_point_formats, sizeof(ec_point_formats));
	hello_ext(h, 0x000a, groups, sizeof(groups));
	hello_ext(h, 0x0023, NULL, 0);			/* session_ticket */
	hello_ext(h, 0x0016, NULL, 0);			/* encrypt_then_mac */
	hello_ext(h, 0x0017, NULL, 0);			/* extended_master_secret */
	hello_ext(h, 0x000d, sigalgs, sizeof(sigalgs));
	hello_ext(h, 0x002b, versions, sizeof(versions));
	hello_ext(h, 0x002d, psk_modes, sizeof(psk_modes));
	key_share[0] = 0;
	key_share[1] = 36;				/* client_shares length */
	key_share[2] = 0x00;
	key_share[3] = 0x1d;				/* x25519 */
	key_share[4] = 0;
	key_share[5] = 32;
	for (i = 0; i < 32; i++)
		key_share[6 + i] = 0x55 ^ i;
	hello_ext(h, 0x0033, key_share, sizeof(key_share));
}

static inline void hello_exts_curl(struct hello *h)
{
	static const __u8 alpn[] = { 0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h', 't', 't', 'p',
				     '/', '1', '.', '1' };
	static const __u8 status_request[] = { 0x01, 0x00, 0x00, 0x00, 0x00 };

	hello_ext(h, 0x0010, alpn, sizeof(alpn));
	hello_ext(h, 0x0005, status_request, sizeof(status_request));
	hello_ext(h, 0x0031, NULL, 0);			/* post_handshake_auth */
}

/* An ECH outer extension (draft-ietf-tls-esni): type, kdf, aead, config id,
 * enc, payload. Only its type matters to the parser.
 */
static inline void hello_ext_ech(struct hello *h)
{
	struct vbuf *b = h->b;
	__u32 ext;

	vb_u16(b, SNI_EXT_ECH);
	ext = vb_open(b, 2);
	vb_u8(b, 0);					/* outer */
	vb_u16(b, 0x0001);				/* HKDF-SHA256 */
	vb_u16(b, 0x0001);				/* AES-128-GCM */
	vb_u8(b, 0x42);					/* config_id */
	vb_u16(b, 32);
	vb_fill(b, 0xec, 32);				/* enc */
	vb_u16(b, 144);
	vb_fill(b, 0x5a, 144);				/* payload */
	vb_close(b, ext, 2);
}

/* The usual good hello around one server_name of any bytes. */
static inline void hello_with_name_raw(struct vbuf *b, __u32 name_type, const void *name,
				       __u32 len)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 32, 8, 0);
	hello_exts_common(&h);
	hello_sni_raw(&h, name_type, name, len);
	hello_exts_curl(&h);
	hello_end(&h);
}

static inline void hello_with_name(struct vbuf *b, const char *name)
{
	hello_with_name_raw(b, 0, name, strlen(name));
}

/* A name of len bytes: labels of label_len 'a'..'z' letters joined by dots. */
static inline void make_name(char *out, __u32 len, __u32 label_len)
{
	__u32 i, pos = 0, label = 0;

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
}

/* ---- the vectors ----------------------------------------------------- */

/* captured: what real clients on Debian 12 sent to a local listener */

/* `openssl s_client -servername Captured.Example.COM` (OpenSSL 3.0.19) */
static const __u8 captured_openssl[] = {
	0x16, 0x03, 0x01, 0x01, 0x41, 0x01, 0x00, 0x01, 0x3d, 0x03, 0x03, 0xa7,
	0xa3, 0x00, 0xee, 0x2f, 0x58, 0xed, 0x81, 0x77, 0xd3, 0xb5, 0x3f, 0xa0,
	0x41, 0xae, 0x9c, 0x66, 0xbd, 0x8d, 0x56, 0xe3, 0xbb, 0x4b, 0xd4, 0xf3,
	0x5e, 0xda, 0xa4, 0x22, 0xca, 0xf5, 0x19, 0x20, 0x31, 0xe8, 0x0f, 0xb0,
	0x6f, 0x24, 0x50, 0x40, 0x47, 0xa5, 0x20, 0x76, 0xbe, 0xe1, 0x4d, 0xe1,
	0x7d, 0xa1, 0xf9, 0x8b, 0x1a, 0x67, 0x71, 0x4f, 0x48, 0x13, 0x3c, 0xac,
	0xff, 0x4c, 0x79, 0x1d, 0x00, 0x3e, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01,
	0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
	0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b,
	0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39,
	0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d,
	0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0xb6,
	0x00, 0x00, 0x00, 0x19, 0x00, 0x17, 0x00, 0x00, 0x14, 0x43, 0x61, 0x70,
	0x74, 0x75, 0x72, 0x65, 0x64, 0x2e, 0x45, 0x78, 0x61, 0x6d, 0x70, 0x6c,
	0x65, 0x2e, 0x43, 0x4f, 0x4d, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01,
	0x02, 0x00, 0x0a, 0x00, 0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00,
	0x1e, 0x00, 0x19, 0x00, 0x18, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01,
	0x03, 0x01, 0x04, 0x00, 0x23, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00,
	0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05,
	0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08,
	0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06,
	0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06,
	0x02, 0x00, 0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02,
	0x03, 0x01, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26,
	0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0x4a, 0xeb, 0x0d, 0x37, 0x18, 0x3f,
	0x09, 0x9b, 0x2d, 0x5a, 0x46, 0x2a, 0x7d, 0xc7, 0xc8, 0x05, 0x5f, 0x3f,
	0xc6, 0x44, 0xf7, 0x69, 0xb2, 0x63, 0xe8, 0x4d, 0x19, 0xcc, 0x7b, 0xe1,
	0x29, 0x6e,
};

/* `curl -k --resolve curl.example.net:PORT:127.0.0.1` (curl 7.88.1, with padding) */
static const __u8 captured_curl[] = {
	0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x3c,
	0x27, 0xbf, 0xa1, 0xf0, 0x39, 0x71, 0xd5, 0x77, 0x58, 0x2b, 0x6d, 0x66,
	0xeb, 0x2b, 0xd8, 0x04, 0xb7, 0xd3, 0xb5, 0x15, 0x1f, 0x73, 0xbb, 0x17,
	0x65, 0x4d, 0x5d, 0x3c, 0x8c, 0x83, 0x5f, 0x20, 0x1f, 0x5d, 0xd1, 0x5f,
	0x1c, 0x01, 0x54, 0xef, 0x22, 0x3f, 0x5e, 0x95, 0xbb, 0xdb, 0x2c, 0xf8,
	0xc3, 0xc7, 0xc5, 0x9d, 0x6a, 0x1e, 0xa0, 0x93, 0x04, 0xa3, 0x51, 0xe0,
	0xbc, 0x67, 0x9b, 0xfa, 0x00, 0x3e, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01,
	0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
	0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b,
	0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39,
	0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d,
	0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x01, 0x75,
	0x00, 0x00, 0x00, 0x15, 0x00, 0x13, 0x00, 0x00, 0x10, 0x63, 0x75, 0x72,
	0x6c, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6e, 0x65,
	0x74, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00,
	0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00,
	0x18, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00,
	0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 0x68, 0x32, 0x08, 0x68, 0x74, 0x74,
	0x70, 0x2f, 0x31, 0x2e, 0x31, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00,
	0x00, 0x00, 0x31, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04,
	0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08,
	0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05,
	0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05,
	0x02, 0x06, 0x02, 0x00, 0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03,
	0x03, 0x02, 0x03, 0x01, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33,
	0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0xf3, 0x41, 0xd6, 0x55,
	0x53, 0x2d, 0xbe, 0x1d, 0x4a, 0x3a, 0x3b, 0xc5, 0xef, 0xb3, 0x91, 0x74,
	0x39, 0xb4, 0x51, 0xdd, 0x10, 0x94, 0x0f, 0x4e, 0xac, 0xee, 0x96, 0x60,
	0x43, 0xd2, 0x5a, 0x61, 0x00, 0x15, 0x00, 0xad, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00,
};

static inline void v_captured_openssl(struct vbuf *b)
{
	vb_bytes(b, captured_openssl, sizeof(captured_openssl));
}

static inline void v_captured_curl(struct vbuf *b)
{
	vb_bytes(b, captured_curl, sizeof(captured_curl));
}

/* good hellos */

static inline void v_openssl(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 32, 15, 0);
	hello_sni(&h, "example.com");
	hello_exts_common(&h);
	hello_end(&h);
}

static inline void v_curl(struct vbuf *b)
{
	hello_with_name(b, "www.example.com");
}

static inline void v_tls12_no_sid(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0303, 0, 4, 0);
	hello_sni(&h, "tls12.example.com");
	hello_ext(&h, 0xff01, "\0", 1);			/* renegotiation_info */
	hello_end(&h);
}

static inline void v_grease(struct vbuf *b)
{
	static const __u8 alps[] = { 0x00, 0x03, 0x02, 'h', '2' };
	struct hello h;

	hello_begin(&h, b, 0x0301, 32, 15, HELLO_GREASE);
	hello_ext(&h, 0x0a0a, NULL, 0);			/* GREASE, empty */
	hello_ext(&h, 0x001b, "\x02\x00\x02", 3);	/* compress_certificate */
	hello_sni(&h, "grease.example.net");
	hello_exts_common(&h);
	hello_ext(&h, 0x4469, alps, sizeof(alps));	/* application_settings */
	hello_ext(&h, 0x0012, NULL, 0);			/* signed_certificate_timestamp */
	hello_ext(&h, 0xdada, "\0", 1);			/* GREASE, one byte */
	hello_end(&h);
}

static inline void v_ech_after_sni(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 32, 3, HELLO_GREASE);
	hello_exts_common(&h);
	hello_sni(&h, "public.example.com");
	hello_ext_ech(&h);
	hello_end(&h);
}

static inline void v_ech_before_sni(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 32, 3, 0);
	hello_ext_ech(&h);
	hello_exts_common(&h);
	hello_sni(&h, "cover.example.org");
	hello_end(&h);
}

static inline void v_ech_no_sni(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 32, 3, 0);
	hello_exts_common(&h);
	hello_ext_ech(&h);
	hello_end(&h);
}

static inline void v_upper(struct vbuf *b)
{
	hello_with_name(b, "WWW.Example.COM");
}

static inline void v_trailing_dot(struct vbuf *b)
{
	hello_with_name(b, "example.com.");
}

static inline void v_name_253(struct vbuf *b)
{
	make_name(b->name, 253, 63);
	hello_with_name(b, b->name);
}

static inline void v_name_253_dot(struct vbuf *b)
{
	char raw[SNIGATE_NAME_MAX];

	make_name(b->name, 253, 63);
	memcpy(raw, b->name, 253);
	raw[253] = '.';
	hello_with_name_raw(b, 0, raw, 254);
}

static inline void v_label_63(struct vbuf *b)
{
	make_name(b->name, 63, 63);
	strcat(b->name, ".com");
	hello_with_name(b, b->name);
}

static inline void v_single_label(struct vbuf *b)
{
	hello_with_name(b, "localhost");
}

static inline void v_ldh(struct vbuf *b)
{
	hello_with_name(b, "xn--bcher-kva.Example-1.COM");
}

static inline void v_ssl3_record(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0300, 0, 2, 0);
	hello_sni(&h, "old.example.com");
	hello_end(&h);
}

/* A change_cipher_spec record right behind the hello in the same buffer. */
static inline void v_trailing_record(struct vbuf *b)
{
	v_curl(b);
	vb_bytes(b, "\x14\x03\x03\x00\x01\x01", 6);
}

static inline void v_exts(struct vbuf *b, __u32 n)
{
	struct hello h;
	__u32 i;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	for (i = 0; i + 1 < n; i++)
		hello_ext(&h, 0x1000 + i, NULL, 0);
	hello_sni(&h, "many.example.com");
	hello_end(&h);
}

static inline void v_exts_128(struct vbuf *b)
{
	v_exts(b, SNI_MAX_EXTENSIONS);
}

static inline void v_exts_129(struct vbuf *b)
{
	v_exts(b, SNI_MAX_EXTENSIONS + 1);
}

/* Padding (RFC 7685) until the record carries rec_len bytes. */
static inline void v_padded(struct vbuf *b, __u32 rec_len)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 32, 15, HELLO_GREASE);
	hello_sni(&h, "big.example.com");
	hello_exts_common(&h);
	hello_exts_curl(&h);
	hello_ext_zeros(&h, 0x0015, rec_len - 4 - (b->len - SNI_RECORD_HDR));
	hello_end(&h);
}

/* The largest record TLS allows. */
static inline void v_16k(struct vbuf *b)
{
	v_padded(b, SNI_RECORD_MAX);
}

/* Still fits one linear BPF_PROG_TEST_RUN packet (about 3.6 KB of payload). */
static inline void v_3k(struct vbuf *b)
{
	v_padded(b, 3500);
}

/* incomplete */

static inline void v_empty(struct vbuf *b)
{
	(void)b;
}

static inline void v_cut_3(struct vbuf *b)
{
	v_curl(b);
	b->len = 3;
}

static inline void v_cut_5(struct vbuf *b)
{
	v_curl(b);
	b->len = SNI_RECORD_HDR;
}

static inline void v_cut_9(struct vbuf *b)
{
	v_curl(b);
	b->len = SNI_RECORD_HDR + SNI_HS_HDR;
}

static inline void v_cut_last(struct vbuf *b)
{
	v_curl(b);
	b->len--;
}

static inline void v_rec_longer(struct vbuf *b)
{
	v_curl(b);
	vb_set(b, 3, 2, vb_get(b, 3, 2) + 1);
}

/* lengths that lie */

/* The handshake split over two records, as a client may legally send it. */
static inline void v_two_records(struct vbuf *b)
{
	struct vbuf one = {};
	__u32 body, first = 100;

	v_curl(&one);
	body = one.len - SNI_RECORD_HDR;
	vb_bytes(b, one.p, SNI_RECORD_HDR + first);
	vb_set(b, 3, 2, first);
	vb_bytes(b, "\x16\x03\x01", 3);
	vb_u16(b, body - first);
	vb_bytes(b, one.p + SNI_RECORD_HDR + first, body - first);
	free(one.p);
}

static inline void v_rec_shorter(struct vbuf *b)
{
	v_curl(b);
	vb_set(b, 3, 2, vb_get(b, 3, 2) - 20);
}

static inline void v_hs_shorter(struct vbuf *b)
{
	v_curl(b);
	vb_set(b, 6, 3, vb_get(b, 6, 3) - 20);
}

/* A consistent hello, then 20 more bytes inside the same record (a second
 * handshake message would look like this).
 */
static inline void v_rec_extra(struct vbuf *b)
{
	v_curl(b);
	vb_bytes(b, "\x10\x00\x00\x10", 4);		/* client_key_exchange, 16 bytes */
	vb_fill(b, 0x77, 16);
	vb_set(b, 3, 2, vb_get(b, 3, 2) + 20);
}

static inline void v_hs_64k(struct vbuf *b)
{
	v_curl(b);
	vb_set(b, 6, 3, 0x10000);
}

static inline void v_rec_0(struct vbuf *b)
{
	v_curl(b);
	vb_set(b, 3, 2, 0);
}

static inline void v_rec_3(struct vbuf *b)
{
	vb_bytes(b, "\x16\x03\x01\x00\x03\x01\x00\x00", 8);
}

static inline void v_rec_16385(struct vbuf *b)
{
	v_curl(b);
	vb_set(b, 3, 2, SNI_RECORD_MAX + 1);
}

static inline void v_rec_ffff(struct vbuf *b)
{
	vb_bytes(b, "\x16\x03\x01\xff\xff", 5);
}

/* A record with a 4-byte ClientHello header claiming an empty body. */
static inline void v_hs_empty(struct vbuf *b)
{
	vb_bytes(b, "\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9);
}

static inline void v_hs_10(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 1, 0);
	b->len = h.hs + 3 + 10;
	h.exts = 0;
	hello_end(&h);
}

static inline void v_ext_overrun(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	hello_sni(&h, "example.com");
	vb_u16(b, 0x0017);
	vb_u16(b, 8);					/* says 8, 4 follow */
	vb_fill(b, 0, 4);
	hello_end(&h);
}

static inline void v_ext_overrun_max(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	vb_u16(b, 0x0017);
	vb_u16(b, 0xffff);
	hello_sni(&h, "example.com");
	hello_end(&h);
}

static inline void v_exts_len_plus(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	hello_sni(&h, "example.com");
	hello_exts_common(&h);
	hello_end(&h);
	vb_set(b, h.exts, 2, vb_get(b, h.exts, 2) + 2);
}

static inline void v_exts_len_minus(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	hello_sni(&h, "example.com");
	hello_exts_common(&h);
	hello_end(&h);
	vb_set(b, h.exts, 2, vb_get(b, h.exts, 2) - 2);
}

static inline void v_ext_hdr_cut(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	hello_sni(&h, "example.com");
	vb_u16(b, 0x0017);				/* type, no length */
	hello_end(&h);
}

static inline void v_ext_len_1(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	hello_end(&h);
	/* one byte where the u16 extensions length should be */
	b->len = h.exts + 1;
	b->p[h.exts] = 0;
	vb_close(b, h.hs, 3);
	vb_close(b, h.rec, 2);
}

static inline void v_sid_33(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 33, 2, 0);
	hello_sni(&h, "example.com");
	hello_end(&h);
}

static inline void v_cs_odd(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	b->len = h.cs + 2;				/* rewrite the suites: 3 bytes */
	vb_bytes(b, "\x13\x01\x13", 3);
	vb_close(b, h.cs, 2);
	vb_bytes(b, "\x01\x00", 2);
	h.exts = vb_open(b, 2);
	hello_sni(&h, "example.com");
	hello_end(&h);
}

static inline void v_cs_0(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 0, 0);
	hello_sni(&h, "example.com");
	hello_end(&h);
}

static inline void v_cm_0(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	b->len = h.cm;
	vb_u8(b, 0);					/* no compression methods */
	h.exts = vb_open(b, 2);
	hello_sni(&h, "example.com");
	hello_end(&h);
}

static inline void v_cm_overrun(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	hello_drop_exts(&h);
	hello_end(&h);
	b->p[h.cm] = 200;				/* 200 methods, 1 present */
}

static inline void v_sni_list_lies(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	hello_sni(&h, "example.com");
	hello_end(&h);
	vb_set(b, h.sni + 4, 2, vb_get(b, h.sni + 4, 2) + 1);
}

static inline void v_sni_name_longer(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	hello_sni(&h, "example.com");
	hello_ext(&h, 0x0017, NULL, 0);
	hello_end(&h);
	vb_set(b, h.sni + 7, 2, vb_get(b, h.sni + 7, 2) + 4);
}

static inline void v_sni_name_shorter(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	hello_sni(&h, "example.com");
	hello_end(&h);
	vb_set(b, h.sni + 7, 2, vb_get(b, h.sni + 7, 2) - 4);
}

/* server_name last, its three lengths agreeing with each other but running
 * 4 bytes past the hello: only the extension bound stops it.
 */
static inline void v_sni_past_hello(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	hello_sni(&h, "example.com");
	hello_end(&h);
	vb_set(b, h.sni + 2, 2, vb_get(b, h.sni + 2, 2) + 4);
	vb_set(b, h.sni + 4, 2, vb_get(b, h.sni + 4, 2) + 4);
	vb_set(b, h.sni + 7, 2, vb_get(b, h.sni + 7, 2) + 4);
}

static inline void v_sni_empty_ext(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	hello_ext(&h, SNI_EXT_SERVER_NAME, NULL, 0);
	hello_end(&h);
}

static inline void v_sni_empty_list(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	hello_ext(&h, SNI_EXT_SERVER_NAME, "\0\0", 2);
	hello_end(&h);
}

static inline void v_sni_two_entries(struct vbuf *b)
{
	struct hello h;
	__u32 ext, list;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	vb_u16(b, SNI_EXT_SERVER_NAME);
	ext = vb_open(b, 2);
	list = vb_open(b, 2);
	vb_u8(b, 0);
	vb_u16(b, 11);
	vb_str(b, "example.com");
	vb_u8(b, 0);
	vb_u16(b, 8);
	vb_str(b, "evil.com");
	vb_close(b, list, 2);
	vb_close(b, ext, 2);
	hello_end(&h);
}

static inline void v_sni_two_exts(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 2, 0);
	hello_sni(&h, "example.com");
	hello_exts_common(&h);
	hello_sni(&h, "evil.com");
	hello_end(&h);
}

static inline void v_not_client_hello(struct vbuf *b)
{
	v_curl(b);
	b->p[5] = 0x02;					/* server_hello */
}

/* names */

static inline void v_name_0(struct vbuf *b)
{
	hello_with_name_raw(b, 0, "", 0);
}

static inline void v_name_len(struct vbuf *b, __u32 len)
{
	char name[400];

	make_name(name, len, 63);
	hello_with_name(b, name);
}

static inline void v_name_254(struct vbuf *b)
{
	v_name_len(b, 254);
}

static inline void v_name_255(struct vbuf *b)
{
	v_name_len(b, 255);
}

static inline void v_name_300(struct vbuf *b)
{
	v_name_len(b, 300);
}

static inline void v_name_type_1(struct vbuf *b)
{
	hello_with_name_raw(b, 1, "example.com", 11);
}

static inline void v_name_bang(struct vbuf *b)
{
	hello_with_name(b, "exa!mple.com");
}

static inline void v_name_nul(struct vbuf *b)
{
	hello_with_name_raw(b, 0, "example.com\0.evil.org", 21);
}

static inline void v_name_nul_end(struct vbuf *b)
{
	hello_with_name_raw(b, 0, "example.com\0", 12);
}

static inline void v_name_underscore(struct vbuf *b)
{
	hello_with_name(b, "ex_ample.com");
}

static inline void v_name_space(struct vbuf *b)
{
	hello_with_name(b, "exa mple.com");
}

static inline void v_name_utf8(struct vbuf *b)
{
	hello_with_name(b, "b\xc3\xbc" "cher.example");
}

static inline void v_name_high_bit_upper(struct vbuf *b)
{
	hello_with_name(b, "\xc1.example");		/* 'A' | 0x80 */
}

static inline void v_name_empty_label(struct vbuf *b)
{
	hello_with_name(b, "a..b");
}

static inline void v_name_leading_dot(struct vbuf *b)
{
	hello_with_name(b, ".example.com");
}

static inline void v_name_two_dots(struct vbuf *b)
{
	hello_with_name(b, "example.com..");
}

static inline void v_name_dot(struct vbuf *b)
{
	hello_with_name(b, ".");
}

static inline void v_label_64(struct vbuf *b)
{
	char name[80];

	make_name(name, 64, 64);
	strcat(name, ".com");
	hello_with_name(b, name);
}

/* no server_name */

static inline void v_no_sni(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 32, 15, 0);
	hello_exts_common(&h);
	hello_exts_curl(&h);
	hello_end(&h);
}

static inline void v_no_exts(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 4, 0);
	hello_drop_exts(&h);
	hello_end(&h);
}

static inline void v_empty_exts(struct vbuf *b)
{
	struct hello h;

	hello_begin(&h, b, 0x0301, 0, 4, 0);
	hello_end(&h);
}

/* not TLS */

static inline void v_sslv2(struct vbuf *b)
{
	/* msg_length 0x2e | CLIENT-HELLO | version 3,1 | cs 21 | sid 0 | challenge 16 */
	vb_bytes(b, "\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10", 11);
	vb_bytes(b, "\x00\x00\x39\x00\x00\x38\x00\x00\x35\x00\x00\x16\x00\x00\x13"
		    "\x00\x00\x0a\x07\x00\xc0", 21);
	vb_fill(b, 0x61, 16);
}

static inline void v_http(struct vbuf *b)
{
	vb_str(b, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
}

static inline void v_app_data(struct vbuf *b)
{
	vb_bytes(b, "\x17\x03\x03\x00\x20", 5);
	vb_fill(b, 0x33, 32);
}

static inline void v_rec_major_2(struct vbuf *b)
{
	v_curl(b);
	b->p[1] = 0x02;
}

/* ---- the table ------------------------------------------------------- */

struct sni_vector {
	const char *desc;
	void (*build)(struct vbuf *b);
	enum sni_rc expect_rc;
	const char *expect_name;	/* SNI_OK: the name; NULL: the one build computed */
	__u32 expect_ech;		/* res.ech after the parse */
	/* filled in by vectors_init() */
	__u8 *bytes;
	__u32 len;
	char name_buf[SNIGATE_NAME_MAX];
};

#define V_OK(d, fn, name)	{ .desc = d, .build = fn, .expect_rc = SNI_OK, .expect_name = name }
#define V(d, fn, rc)		{ .desc = d, .build = fn, .expect_rc = rc }

static struct sni_vector sni_vectors[] __attribute__((unused)) = {
	/* good hellos */
	V_OK("captured openssl s_client hello", v_captured_openssl, "captured.example.com"),
	V_OK("captured curl hello", v_captured_curl, "curl.example.net"),
	V_OK("openssl-like hello, server_name first", v_openssl, "example.com"),
	V_OK("curl-like hello, 32-byte session id, many extensions", v_curl, "www.example.com"),
	V_OK("TLS 1.2 record version, no session id", v_tls12_no_sid, "tls12.example.com"),
	V_OK("chrome-like hello with GREASE suite and extensions", v_grease, "grease.example.net"),
	{ .desc = "ECH extension after server_name", .build = v_ech_after_sni,
	  .expect_rc = SNI_OK, .expect_name = "public.example.com", .expect_ech = 1 },
	{ .desc = "ECH extension before server_name", .build = v_ech_before_sni,
	  .expect_rc = SNI_OK, .expect_name = "cover.example.org", .expect_ech = 1 },
	{ .desc = "ECH extension, no server_name", .build = v_ech_no_sni,
	  .expect_rc = SNI_NONE, .expect_ech = 1 },
	V_OK("upper-case name is lower-cased", v_upper, "www.example.com"),
	V_OK("trailing dot is stripped", v_trailing_dot, "example.com"),
	V_OK("253-byte name", v_name_253, NULL),
	V_OK("253-byte name plus trailing dot", v_name_253_dot, NULL),
	V_OK("63-byte label", v_label_63, NULL),
	V_OK("single-label name", v_single_label, "localhost"),
	V_OK("digits, hyphens, mixed case", v_ldh, "xn--bcher-kva.example-1.com"),
	V_OK("SSL 3.0 record version (3,0)", v_ssl3_record, "old.example.com"),
	V_OK("another record after the hello", v_trailing_record, "www.example.com"),
	V_OK("128 extensions, server_name last", v_exts_128, "many.example.com"),
	V_OK("3.5 KB hello with padding extension", v_3k, "big.example.com"),
	V_OK("16 KB hello with padding extension", v_16k, "big.example.com"),

	/* incomplete */
	V("empty input", v_empty, SNI_AGAIN),
	V("cut inside the record header (3 bytes)", v_cut_3, SNI_AGAIN),
	V("record header only", v_cut_5, SNI_AGAIN),
	V("record and handshake headers only", v_cut_9, SNI_AGAIN),
	V("good hello minus its last byte", v_cut_last, SNI_AGAIN),
	V("record length one longer than the data", v_rec_longer, SNI_AGAIN),

	/* lengths that lie */
	V("handshake split over two records", v_two_records, SNI_FRAGMENTED),
	V("record length shorter than the handshake", v_rec_shorter, SNI_FRAGMENTED),
	V("handshake length shorter than the record", v_hs_shorter, SNI_BAD),
	V("second handshake message in the hello's record", v_rec_extra, SNI_BAD),
	V("handshake length 0x10000", v_hs_64k, SNI_OVERSIZE),
	V("record length 0", v_rec_0, SNI_BAD),
	V("record length 3", v_rec_3, SNI_BAD),
	V("record length 16385", v_rec_16385, SNI_OVERSIZE),
	V("record length 0xffff, header only", v_rec_ffff, SNI_OVERSIZE),
	V("ClientHello with an empty body", v_hs_empty, SNI_BAD),
	V("ClientHello body of 10 bytes", v_hs_10, SNI_BAD),
	V("extension length overruns the list", v_ext_overrun, SNI_BAD),
	V("extension length 0xffff", v_ext_overrun_max, SNI_BAD),
	V("extensions length 2 longer than the hello", v_exts_len_plus, SNI_BAD),
	V("extensions length 2 shorter than the hello", v_exts_len_minus, SNI_BAD),
	V("extension header cut after its type", v_ext_hdr_cut, SNI_BAD),
	V("one byte where the extensions length goes", v_ext_len_1, SNI_BAD),
	V("session id length 33", v_sid_33, SNI_BAD),
	V("cipher suites length odd", v_cs_odd, SNI_BAD),
	V("cipher suites length 0", v_cs_0, SNI_BAD),
	V("compression methods length 0", v_cm_0, SNI_BAD),
	V("compression methods overrun the hello", v_cm_overrun, SNI_BAD),
	V("129 extensions", v_exts_129, SNI_BAD),
	V("server_name list length lies", v_sni_list_lies, SNI_BAD),
	V("server_name name length longer than the list", v_sni_name_longer, SNI_BAD),
	V("server_name name length shorter than the list", v_sni_name_shorter, SNI_BAD),
	V("server_name runs past the hello", v_sni_past_hello, SNI_BAD),
	V("server_name extension empty", v_sni_empty_ext, SNI_BAD),
	V("server_name list empty", v_sni_empty_list, SNI_BAD),
	V("two names in one server_name list", v_sni_two_entries, SNI_BAD),
	V("two server_name extensions", v_sni_two_exts, SNI_BAD),
	V("handshake type 2 (ServerHello)", v_not_client_hello, SNI_BAD),

	/* names */
	V("host_name length 0", v_name_0, SNI_BAD_NAME),
	V("254-byte name", v_name_254, SNI_BAD_NAME),
	V("255-byte name", v_name_255, SNI_BAD_NAME),
	V("300-byte name", v_name_300, SNI_BAD_NAME),
	V("name_type 1", v_name_type_1, SNI_BAD_NAME),
	V("'!' in name", v_name_bang, SNI_BAD_NAME),
	V("NUL inside name", v_name_nul, SNI_BAD_NAME),
	V("NUL at the end of name", v_name_nul_end, SNI_BAD_NAME),
	V("underscore in name", v_name_underscore, SNI_BAD_NAME),
	V("space in name", v_name_space, SNI_BAD_NAME),
	V("UTF-8 bytes in name", v_name_utf8, SNI_BAD_NAME),
	V("byte 0xc1 ('A' | 0x80) in name", v_name_high_bit_upper, SNI_BAD_NAME),
	V("empty label a..b", v_name_empty_label, SNI_BAD_NAME),
	V("leading dot", v_name_leading_dot, SNI_BAD_NAME),
	V("two trailing dots", v_name_two_dots, SNI_BAD_NAME),
	V("name is a single dot", v_name_dot, SNI_BAD_NAME),
	V("64-byte label", v_label_64, SNI_BAD_NAME),

	/* no server_name */
	V("no server_name extension", v_no_sni, SNI_NONE),
	V("no extensions block", v_no_exts, SNI_NONE),
	V("empty extensions block", v_empty_exts, SNI_NONE),

	/* not TLS */
	V("SSLv2 hello (0x80)", v_sslv2, SNI_NOT_TLS),
	V("HTTP GET", v_http, SNI_NOT_TLS),
	V("application data record (0x17)", v_app_data, SNI_NOT_TLS),
	V("record version major 2", v_rec_major_2, SNI_NOT_TLS),
};

#define SNI_VECTORS_N	(sizeof(sni_vectors) / sizeof(sni_vectors[0]))

/* Run every builder. Returns the number of vectors. */
static inline __u32 vectors_init(void)
{
	__u32 i;

	for (i = 0; i < SNI_VECTORS_N; i++) {
		struct sni_vector *v = &sni_vectors[i];
		struct vbuf b = { .name = v->name_buf };

		v->build(&b);
		v->bytes = b.p ? b.p : calloc(1, 1);
		v->len = b.len;
		if (v->expect_rc == SNI_OK && !v->expect_name)
			v->expect_name = v->name_buf;
	}
	return SNI_VECTORS_N;
}

static inline void vectors_free(void)
{
	__u32 i;

	for (i = 0; i < SNI_VECTORS_N; i++) {
		free(sni_vectors[i].bytes);
		sni_vectors[i].bytes = NULL;
	}
}

static inline const char *sni_rc_name(int rc)
{
	static const char *const names[] = {
		"SNI_OK", "SNI_AGAIN", "SNI_NONE", "SNI_NOT_TLS", "SNI_BAD",
		"SNI_OVERSIZE", "SNI_BAD_NAME", "SNI_FRAGMENTED",
	};

	if (rc < 0 || rc >= (int)(sizeof(names) / sizeof(names[0])))
		return "SNI_?";
	return names[rc];
}

#endif /* __SNIGATE_TEST_VECTORS_H */
