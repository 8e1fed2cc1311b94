/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/selftest.h - check the kernel behaviours snigate relies on (selftest.c). */
#ifndef __SNIGATE_SELFTEST_H
#define __SNIGATE_SELFTEST_H

/* Returns 0 when every check passed, -1 (with a message saying which not). */
int selftest_run(void);

int do_selftest(int argc, char **argv);

#endif /* __SNIGATE_SELFTEST_H */
