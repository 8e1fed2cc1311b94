/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* include/sni_parse.h - the ClientHello / server_name parser.
 *
 * One parser for the kernel and for user space: bpf/gateway.bpf.c runs it on
 * the skb, user/ on a buffer (hellos split over several records, unit tests,
 * the fuzzer). The includer defines how bytes are fetched:
 *
 *   static __always_inline int sni_load(void *src, __u32 off, void *dst, __u32 len);
 *
 * returning 0 when [off, off + len) was copied to dst, non-zero otherwise.
 * Everything here is a pure function of those bytes.
 *
 * Wire format (RFC 8446 4.1.2, RFC 6066 3):
 *   record:    u8 type = 0x16 | u16 legacy_version (3,x) | u16 length
 *   handshake: u8 msg_type = 1 | u24 length
 *   hello:     u16 version | u8 random[32] | u8 sid_len, sid[] |
 *              u16 cs_len, cs[] | u8 cm_len, cm[] | u16 ext_len, ext[]
 *   extension: u16 type | u16 len | data[len]
 *   server_name (type 0): u16 list_len, { u8 name_type = 0 | u16 len | name[len] }
 */
#ifndef __SNI_PARSE_H
#define __SNI_PARSE_H

#include "snigate_abi.h"

#define SNI_RECORD_HDR		5
#define SNI_HS_HDR		4
#define SNI_RECORD_MAX		16384	/* TLS plaintext limit (2^14) */
#define SNI_MAX_EXTENSIONS	128	/* real hellos carry ~20; GREASE and padding included */
#define SNI_EXT_SERVER_NAME	0x0000
#define SNI_EXT_ECH		0xfe0d	/* encrypted_client_hello */

enum sni_rc {
	SNI_OK = 0,		/* res->name holds the validated, lower-cased name */
	SNI_AGAIN,		/* the first record is not complete: need more bytes */
	SNI_NONE,		/* a valid ClientHello without server_name */
	SNI_NOT_TLS,		/* not a TLS handshake record (SSLv2, HTTP, ...) */
	SNI_BAD,		/* malformed: lengths or fields do not add up */
	SNI_OVERSIZE,		/* record larger than TLS allows */
	SNI_BAD_NAME,		/* server_name present but not a valid host name */
	SNI_FRAGMENTED,		/* the hello continues in further records */
};

struct sni_result {
	char name[SNIGATE_NAME_MAX];	/* NUL-terminated, lower-case, no trailing dot */
	__u32 name_len;
	__u32 record_len;		/* header + payload of the first record */
	__u32 hello_len;		/* handshake header + body */
	__u32 ech;			/* encrypted_client_hello offered */
	/* Loop state kept in memory rather than registers: the BPF verifier
	 * does not track memory, so every path through one loop iteration
	 * looks alike at the next and is pruned (linear, not exponential).
	 */
	__u32 label;			/* sni_normalize(): length of the current label */
	__u32 ext_off;			/* extension scan: next extension */
	__u32 sn_off, sn_len;		/* extension scan: server_name body */
};

static __always_inline int sni_get_u8(void *src, __u32 off, __u32 *v)
{
	__u8 b;

	if (sni_load(src, off, &b, 1))
		return -1;
	*v = b;
	return 0;
}

static __always_inline int sni_get_u16(void *src, __u32 off, __u32 *v)
{
	__u8 b[2];

	if (sni_load(src, off, b, 2))
		return -1;
	*v = (__u32)b[0] << 8 | b[1];
	return 0;
}

/* Letters, digits, hyphen: the characters of a DNS label (RFC 1123). */
static __always_inline int sni_is_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

/* Lower-case name[0..len) in place, drop one trailing dot and check that it
 * is a host name: LDH labels of 1..63 bytes joined by single dots.
 * *label is scratch kept in memory, not in a register: the BPF verifier does
 * not track memory, so it does not fork a state per label length.
 * Returns the new length, or 0 when the name is not valid.
 */
static __always_inline __u32 sni_normalize(char *name, __u32 len, volatile __u32 *label)
{
	__u32 i;

	if (len > 0 && len <= SNIGATE_HOST_MAX + 1 && name[(len - 1) & 0xff] == '.')
		len--;
	if (len == 0 || len > SNIGATE_HOST_MAX)
		return 0;
	*label = 0;
	for (i = 0; i < SNIGATE_NAME_MAX - 1; i++) {
		char c;

		if (i >= len)
			break;
		c = name[i & 0xff];
		if (c == '.') {
			if (*label == 0)
				return 0;	/* empty label */
			*label = 0;
			continue;
		}
		if (!sni_is_ldh(c) || *label >= 63)
			return 0;
		*label = *label + 1;
		if (c >= 'A' && c <= 'Z')
			name[i & 0xff] = c + ('a' - 'A');
	}
	name[len & 0xff] = '\0';
	return *label ? len : 0;
}

/* Parse the server_name extension body at [off, off + len). */
static __always_inline enum sni_rc sni_parse_server_name(void *src, __u32 off, __u32 len,
							 struct sni_result *res)
{
	__u32 list_len, type, name_len;

	if (len < 5 || sni_get_u16(src, off, &list_len) || list_len != len - 2)
		return SNI_BAD;
	if (sni_get_u8(src, off + 2, &type) || sni_get_u16(src, off + 3, &name_len))
		return SNI_BAD;
	if (name_len + 3 != list_len)
		return SNI_BAD;			/* a second entry, or lengths that lie */
	if (type != 0)
		return SNI_BAD_NAME;		/* only host_name is defined */
	if (name_len == 0 || name_len > SNIGATE_HOST_MAX + 1)
		return SNI_BAD_NAME;
	/* keep the bound visible to the BPF verifier: 1..255 */
	name_len &= 0xff;
	if (name_len == 0 || sni_load(src, off + 5, res->name, name_len))
		return SNI_BAD;
	res->name[name_len & 0xff] = '\0';
	res->name_len = sni_normalize(res->name, name_len, &res->label);
	return res->name_len ? SNI_OK : SNI_BAD_NAME;
}

/* Parse the ClientHello at the start of src, of which avail bytes exist.
 * Returns SNI_OK with res->name filled, or why not (enum sni_rc).
 */
static __always_inline enum sni_rc sni_parse(void *src, __u32 avail, struct sni_result *res)
{
	__u32 v, rec_len, hs_len, off, end, ext_end, i;
	volatile struct sni_result *sc;

	if (avail < SNI_RECORD_HDR)
		return SNI_AGAIN;
	if (sni_get_u8(src, 0, &v) || v != 0x16)
		return SNI_NOT_TLS;
	if (sni_get_u8(src, 1, &v) || v != 3)
		return SNI_NOT_TLS;
	if (sni_get_u16(src, 3, &rec_len))
		return SNI_BAD;
	if (rec_len > SNI_RECORD_MAX)
		return SNI_OVERSIZE;
	if (rec_len < SNI_HS_HDR)
		return SNI_BAD;
	res->record_len = SNI_RECORD_HDR + rec_len;
	if (avail < res->record_len)
		return SNI_AGAIN;

	if (sni_get_u8(src, 5, &v) || v != 1)
		return SNI_BAD;				/* not a ClientHello */
	if (sni_get_u8(src, 6, &v) || sni_get_u16(src, 7, &hs_len))
		return SNI_BAD;
	hs_len |= v << 16;
	res->hello_len = SNI_HS_HDR + hs_len;
	if (hs_len > rec_len - SNI_HS_HDR)
		return hs_len > 0xffff ? SNI_OVERSIZE : SNI_FRAGMENTED;
	if (hs_len != rec_len - SNI_HS_HDR)
		return SNI_BAD;				/* something after the hello */
	end = SNI_RECORD_HDR + SNI_HS_HDR + hs_len;

	off = SNI_RECORD_HDR + SNI_HS_HDR + 2 + 32;	/* version, random */
	if (sni_get_u8(src, off, &v) || v > 32)
		return SNI_BAD;				/* session id */
	off += 1 + v;
	if (sni_get_u16(src, off, &v) || v < 2 || (v & 1))
		return SNI_BAD;				/* cipher suites */
	off += 2 + v;
	if (sni_get_u8(src, off, &v) || v < 1)
		return SNI_BAD;				/* compression methods */
	off += 1 + v;
	if (off > end)
		return SNI_BAD;
	if (off == end)
		return SNI_NONE;			/* no extensions at all */
	if (sni_get_u16(src, off, &v) || off + 2 + v != end)
		return SNI_BAD;
	off += 2;
	ext_end = end;

	/* find server_name and ECH first, parse the name once after the loop */
	sc = res;
	sc->ext_off = off;
	sc->sn_off = 0;
	for (i = 0; i < SNI_MAX_EXTENSIONS; i++) {
		__u32 type, len;

		off = sc->ext_off;
		if (off == ext_end)
			break;
		if (sni_get_u16(src, off, &type) || sni_get_u16(src, off + 2, &len))
			return SNI_BAD;
		if (off + 4 + len > ext_end)
			return SNI_BAD;			/* extension overruns the hello */
		if (type == SNI_EXT_SERVER_NAME) {
			if (sc->sn_off)
				return SNI_BAD;		/* two server_name extensions */
			sc->sn_off = off + 4;
			sc->sn_len = len;
		} else if (type == SNI_EXT_ECH) {
			sc->ech = 1;
		}
		sc->ext_off = off + 4 + len;
	}
	if (sc->ext_off != ext_end)
		return SNI_BAD;				/* more extensions than any real hello */
	if (!sc->sn_off)
		return SNI_NONE;
	return sni_parse_server_name(src, sc->sn_off, sc->sn_len, res);
}

/* Why a hello that did not give a name is refused. */
static __always_inline enum snigate_reason sni_rc_reason(enum sni_rc rc)
{
	switch (rc) {
	case SNI_NONE:
		return SNIGATE_REASON_NO_SNI;
	case SNI_NOT_TLS:
		return SNIGATE_REASON_NOT_TLS;
	case SNI_OVERSIZE:
		return SNIGATE_REASON_OVERSIZE;
	case SNI_BAD_NAME:
		return SNIGATE_REASON_BAD_NAME;
	default:
		return SNIGATE_REASON_MALFORMED;
	}
}

#endif /* __SNI_PARSE_H */
