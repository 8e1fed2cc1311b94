/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/mono.h - CLOCK_MONOTONIC, the clock of deadlines, timers and
 * bpf_ktime_get_ns(), in nanoseconds and milliseconds.
 */
#ifndef __SNIGATE_MONO_H
#define __SNIGATE_MONO_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline uint64_t mono_ms(void)
{
	return mono_ns() / 1000000;
}

#endif /* __SNIGATE_MONO_H */
