/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/json.h - a small streaming JSON writer (bpftool's json_writer shape). */
#ifndef __SNIGATE_JSON_H
#define __SNIGATE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct jw {
	FILE *out;
	int depth;
	bool need_comma[16];
};

void jw_init(struct jw *w, FILE *out);
void jw_start_object(struct jw *w);
void jw_end_object(struct jw *w);
void jw_start_array(struct jw *w);
void jw_end_array(struct jw *w);
void jw_name(struct jw *w, const char *name);
void jw_string(struct jw *w, const char *s);
void jw_uint(struct jw *w, uint64_t v);
void jw_null(struct jw *w);
void jw_string_field(struct jw *w, const char *name, const char *s);
void jw_uint_field(struct jw *w, const char *name, uint64_t v);
void jw_float_field(struct jw *w, const char *name, double v);
void jw_bool_field(struct jw *w, const char *name, bool v);

#endif /* __SNIGATE_JSON_H */
