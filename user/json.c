// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/json.c - streaming JSON writer: commas and escaping in one place. */
#include "json.h"

void jw_init(struct jw *w, FILE *out)
{
	w->out = out;
	w->depth = 0;
	w->need_comma[0] = false;
}

/* A value starts: separate it from the previous one at this depth. */
static void jw_value(struct jw *w)
{
	if (w->need_comma[w->depth])
		fputc(',', w->out);
	w->need_comma[w->depth] = true;
}

static void jw_open(struct jw *w, char c)
{
	jw_value(w);
	fputc(c, w->out);
	if (w->depth < 15)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void jw_close(struct jw *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	fputc(c, w->out);
}

void jw_start_object(struct jw *w) { jw_open(w, '{'); }
void jw_end_object(struct jw *w) { jw_close(w, '}'); }
void jw_start_array(struct jw *w) { jw_open(w, '['); }
void jw_end_array(struct jw *w) { jw_close(w, ']'); }

static void jw_escaped(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void jw_name(struct jw *w, const char *name)
{
	jw_value(w);
	jw_escaped(w->out, name);
	fputc(':', w->out);
	w->need_comma[w->depth] = false;	/* the value follows without a comma */
}

void jw_string(struct jw *w, const char *s)
{
	jw_value(w);
	jw_escaped(w->out, s);
}

void jw_uint(struct jw *w, uint64_t v)
{
	jw_value(w);
	fprintf(w->out, "%llu", (unsigned long long)v);
}

void jw_null(struct jw *w)
{
	jw_value(w);
	fputs("null", w->out);
}

void jw_string_field(struct jw *w, const char *name, const char *s)
{
	jw_name(w, name);
	jw_string(w, s);
}

void jw_uint_field(struct jw *w, const char *name, uint64_t v)
{
	jw_name(w, name);
	jw_uint(w, v);
}

void jw_float_field(struct jw *w, const char *name, double v)
{
	jw_name(w, name);
	jw_value(w);
	fprintf(w->out, "%.3f", v);
}

void jw_bool_field(struct jw *w, const char *name, bool v)
{
	jw_name(w, name);
	jw_value(w);
	fputs(v ? "true" : "false", w->out);
}
