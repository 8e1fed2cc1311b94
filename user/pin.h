/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/pin.h - the pin directory: bpffs mount, root-only mode, lock, pinned maps. */
#ifndef __SNIGATE_PIN_H
#define __SNIGATE_PIN_H

#define SNIGATE_PIN_DIR_DEFAULT "/sys/fs/bpf/snigate"

extern const char *pin_dir;	/* --pin-dir */

/* Mount bpffs under the pin directory's parent if needed, create the
 * directory with mode 0700. Returns 0 or -errno (message printed).
 */
int pin_prepare_dir(void);

/* Open a pinned map of the running gateway or filter. Returns an fd or -errno (message printed). */
int pin_open_map(const char *name);

/* The same, but -ENOENT without a message: a map only one daemon has. */
int pin_try_map(const char *name);

/* Serialize writers of the pinned maps (CLI edits, reloads). Returns a
 * lock fd to close when done, or -errno.
 */
int pin_lock(void);

#endif /* __SNIGATE_PIN_H */
