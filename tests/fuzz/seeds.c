// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/fuzz/seeds.c - writes the unit-test hello vectors as a seed corpus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "tls_hello.h"	/* sni_load() for memory, then the parser */
#include "vectors.h"

int main(int argc, char **argv)
{
	__u32 i, n = 0, total;
	char path[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	total = vectors_init();
	for (i = 0; i < total; i++) {
		const struct sni_vector *v = &sni_vectors[i];
		FILE *f;

		snprintf(path, sizeof(path), "%s/seed-%03u", argv[1], i);
		f = fopen(path, "wb");
		if (!f)
			return 1;
		fwrite(v->bytes, 1, v->len, f);
		fclose(f);
		n++;
	}
	vectors_free();
	printf("%u seeds in %s\n", n, argv[1]);
	return 0;
}
