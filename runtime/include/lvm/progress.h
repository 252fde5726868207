/* lvm/progress.h — progress of chains on stderr.
 *
 * On a terminal: one line per chain, redrawn in place at most every 0.1 s:
 *   chain 1: [#########...........]  45%   900/2000 sampling  1520 it/s  0:01 left
 * Not on a terminal (a log file, CI): plain lines at every 10% per chain:
 *   chain 1: 40% (800/2000, warmup), 1520 it/s, 1 s left
 * and at the end of each chain:
 *   chain 1: done, 2000 iterations in 1.3 s (1520 it/s)
 * Quiet: nothing.
 *
 * All functions may be called from the chains' threads at once (one chain
 * per thread); updates are cheap (a clock read and a compare) except when
 * a line is due.
 */
#ifndef LVM_PROGRESS_H
#define LVM_PROGRESS_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lvm_progress_mode {
  LVM_PROGRESS_AUTO = 0, /* TTY if the stream is a terminal, else PLAIN */
  LVM_PROGRESS_TTY,
  LVM_PROGRESS_PLAIN,
  LVM_PROGRESS_QUIET
} lvm_progress_mode;

typedef struct lvm_progress lvm_progress;

/* n_chains chains reported to `stream` (usually stderr).  NULL if out of
 * memory (reported through the error hook). */
lvm_progress *lvm_progress_alloc(int n_chains, FILE *stream, lvm_progress_mode mode);
/* Flush the last state (a final newline on a terminal) and free. */
void lvm_progress_free(lvm_progress *p);

/* The mode in use (AUTO resolved). */
lvm_progress_mode lvm_progress_get_mode(const lvm_progress *p);

/* Chain `chain` (0-based) starts: `total` iterations, the first `warmup` of
 * them warmup. */
void lvm_progress_start(lvm_progress *p, int chain, long total, long warmup);
/* Chain `chain` has completed `iter` iterations (1..total). */
void lvm_progress_update(lvm_progress *p, int chain, long iter);
/* Chain `chain` is done (or stopped early: the line says how far it got). */
void lvm_progress_finish(lvm_progress *p, int chain);

#ifdef __cplusplus
}
#endif
#endif
