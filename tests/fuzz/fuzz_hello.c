// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/fuzz/fuzz_hello.c - libFuzzer target over what parses untrusted bytes:
 * the ClientHello parser the kernel runs (include/sni_parse.h, through the
 * user-space loader), the multi-record reassembly, the policy decision on a
 * parsed name, and the pattern syntax of allow files.
 *   make fuzz            (FUZZ_SECS=60 by default; a crash fails it)
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "pattern.h"
#include "tls_hello.h"

/* an empty policy: every decision walks the default path */
static const struct snigate_policy_val *no_rules(struct policy_source *src,
						 const struct snigate_policy_key *key)
{
	(void)src, (void)key;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_source src = { .lookup = no_rules };
	struct sni_mem m = { .data = data, .len = size };
	struct sni_result res = {};
	enum snigate_reason reason;
	struct tls_hello h;
	struct pattern p;
	enum snigate_rule rule;
	char err[300], line[512];

	if (sni_parse(&m, size, &res) == SNI_OK) {
		if (strnlen(res.name, sizeof(res.name)) != res.name_len)
			__builtin_trap();	/* name and length disagree */
		pattern_decide(&src, res.name, SNIGATE_VERDICT_DENY, &reason);
	}
	tls_hello_reassemble(data, size, &h);

	if (size < sizeof(line)) {
		memcpy(line, data, size);
		line[size] = '\0';
		pattern_parse_line(line, &p, &rule, err, sizeof(err));
	}
	return 0;
}
