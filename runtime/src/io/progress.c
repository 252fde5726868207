/* Progress lines of chains on a terminal or a log (see lvm/progress.h). */
#include "lvm/progress.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io_util.h"

typedef struct chain_state {
  atomic_long iter;
  long total, warmup;
  double t0;      /* start time */
  int next_tenth; /* plain mode: the next 10% mark to report */
  int started, finished;
} chain_state;

struct lvm_progress {
  FILE *f;
  lvm_progress_mode mode;
  int n;
  chain_state *ch;
  pthread_mutex_t lock;
  double next_draw; /* TTY: time of the next redraw (under lock) */
  atomic_int draw_due_ms; /* TTY: a cheap copy of next_draw in ms for
                             lock-free checks */
  double t_origin;
  int drawn;        /* TTY: lines on screen */
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

lvm_progress *lvm_progress_alloc(int n_chains, FILE *stream, lvm_progress_mode mode) {
  if (n_chains < 0) n_chains = 0;
  lvm_progress *p = calloc(1, sizeof *p);
  if (p) p->ch = calloc(n_chains ? (size_t)n_chains : 1, sizeof *p->ch);
  if (!p || !p->ch) {
    free(p);
    lvm_error("cannot allocate the progress display", __FILE__, __LINE__, LVM_ENOMEM);
    return NULL;
  }
  p->f = stream ? stream : stderr;
  p->n = n_chains;
  if (mode == LVM_PROGRESS_AUTO) mode = isatty(fileno(p->f)) ? LVM_PROGRESS_TTY : LVM_PROGRESS_PLAIN;
  p->mode = mode;
  pthread_mutex_init(&p->lock, NULL);
  p->t_origin = now();
  for (int i = 0; i < n_chains; i++) atomic_init(&p->ch[i].iter, 0);
  atomic_init(&p->draw_due_ms, 0);
  return p;
}

lvm_progress_mode lvm_progress_get_mode(const lvm_progress *p) {
  return p ? p->mode : LVM_PROGRESS_QUIET;
}

static void fmt_left(lvm_buf *b, double secs, int compact) {
  if (!(secs >= 0) || secs > 1e8) {
    lvm_buf_puts(b, compact ? "-:--" : "? s");
    return;
  }
  long s = (long)(secs + 0.5);
  if (compact) {
    if (s >= 3600) lvm_buf_printf(b, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else lvm_buf_printf(b, "%ld:%02ld", s / 60, s % 60);
  } else {
    if (s >= 3600) lvm_buf_printf(b, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else if (s >= 60) lvm_buf_printf(b, "%ldm%02lds", s / 60, s % 60);
    else lvm_buf_printf(b, "%ld s", s);
  }
}

/* One chain's terminal line (without newline). */
static void tty_line(lvm_buf *b, const lvm_progress *p, int c, double t) {
  const chain_state *s = &p->ch[c];
  long it = atomic_load(&s->iter);
  lvm_buf_printf(b, "chain %d: ", c + 1);
  if (!s->started) {
    lvm_buf_puts(b, "waiting");
    return;
  }
  long total = s->total > 0 ? s->total : 1;
  int pct = (int)(100.0 * (double)it / (double)total);
  int bars = (int)(20.0 * (double)it / (double)total);
  char bar[21];
  for (int i = 0; i < 20; i++) bar[i] = i < bars ? '#' : '.';
  bar[20] = '\0';
  double el = t - s->t0;
  double rate = el > 0 ? (double)it / el : 0;
  lvm_buf_printf(b, "[%s] %3d%% %*ld/%ld %s", bar, pct, 6, it, s->total,
                 s->finished ? "done    " : it < s->warmup ? "warmup  " : "sampling");
  if (rate > 0) lvm_buf_printf(b, "  %.0f it/s", rate);
  if (!s->finished && rate > 0) {
    lvm_buf_puts(b, "  ");
    fmt_left(b, (double)(s->total - it) / rate, 1);
    lvm_buf_puts(b, " left");
  } else if (s->finished) {
    lvm_buf_printf(b, "  %.1f s", el);
  }
}

/* Redraw all lines (lock held). */
static void tty_draw(lvm_progress *p, double t) {
  lvm_buf b;
  lvm_buf_init(&b);
  if (p->drawn) lvm_buf_printf(&b, "\033[%dA", p->drawn);
  for (int c = 0; c < p->n; c++) {
    lvm_buf_puts(&b, "\r\033[K");
    tty_line(&b, p, c, t);
    lvm_buf_putc(&b, '\n');
  }
  if (!b.failed && b.len) {
    fwrite(b.s, 1, b.len, p->f);
    fflush(p->f);
  }
  p->drawn = p->n;
  lvm_buf_free(&b);
}

static void plain_line(lvm_progress *p, int c, long it, double t) {
  chain_state *s = &p->ch[c];
  double el = t - s->t0;
  double rate = el > 0 ? (double)it / el : 0;
  lvm_buf b;
  lvm_buf_init(&b);
  int pct = s->total > 0 ? (int)(100.0 * (double)it / (double)s->total) : 100;
  lvm_buf_printf(&b, "chain %d: %d%% (%ld/%ld, %s)", c + 1, pct, it, s->total,
                 it <= s->warmup && s->warmup > 0 ? "warmup" : "sampling");
  if (rate > 0) {
    lvm_buf_printf(&b, ", %.0f it/s, ", rate);
    fmt_left(&b, (double)(s->total - it) / rate, 0);
    lvm_buf_puts(&b, " left");
  }
  lvm_buf_putc(&b, '\n');
  if (!b.failed) {
    fwrite(b.s, 1, b.len, p->f);
    fflush(p->f);
  }
  lvm_buf_free(&b);
}

void lvm_progress_start(lvm_progress *p, int chain, long total, long warmup) {
  if (!p || p->mode == LVM_PROGRESS_QUIET || chain < 0 || chain >= p->n) return;
  pthread_mutex_lock(&p->lock);
  chain_state *s = &p->ch[chain];
  s->total = total;
  s->warmup = warmup;
  s->t0 = now();
  s->next_tenth = 1;
  s->started = 1;
  s->finished = 0;
  atomic_store(&s->iter, 0);
  if (p->mode == LVM_PROGRESS_TTY) tty_draw(p, s->t0);
  pthread_mutex_unlock(&p->lock);
}

void lvm_progress_update(lvm_progress *p, int chain, long iter) {
  if (!p || p->mode == LVM_PROGRESS_QUIET || chain < 0 || chain >= p->n) return;
  chain_state *s = &p->ch[chain];
  atomic_store(&s->iter, iter);
  if (p->mode == LVM_PROGRESS_PLAIN) {
    /* Only this chain's thread touches next_tenth. */
    if (s->total <= 0 || iter * 10 < (long)s->next_tenth * s->total) return;
    int tenth = (int)(iter * 10 / s->total);
    if (tenth > 10) tenth = 10;
    s->next_tenth = tenth + 1;
    if (tenth >= 10) return; /* 100% is the "done" line */
    pthread_mutex_lock(&p->lock);
    plain_line(p, chain, iter, now());
    pthread_mutex_unlock(&p->lock);
    return;
  }
  double t = now();
  int ms = (int)((t - p->t_origin) * 1000);
  if (ms < atomic_load(&p->draw_due_ms)) return;
  if (pthread_mutex_trylock(&p->lock) != 0) return;
  if (t >= p->next_draw) {
    p->next_draw = t + 0.1;
    atomic_store(&p->draw_due_ms, ms + 100);
    tty_draw(p, t);
  }
  pthread_mutex_unlock(&p->lock);
}

void lvm_progress_finish(lvm_progress *p, int chain) {
  if (!p || p->mode == LVM_PROGRESS_QUIET || chain < 0 || chain >= p->n) return;
  chain_state *s = &p->ch[chain];
  double t = now();
  pthread_mutex_lock(&p->lock);
  s->finished = 1;
  if (p->mode == LVM_PROGRESS_TTY) {
    tty_draw(p, t);
  } else {
    long it = atomic_load(&s->iter);
    double el = t - s->t0;
    if (it >= s->total)
      fprintf(p->f, "chain %d: done, %ld iterations in %.1f s (%.0f it/s)\n", chain + 1, it,
              el, el > 0 ? (double)it / el : 0.0);
    else
      fprintf(p->f, "chain %d: stopped after %ld of %ld iterations (%.1f s)\n", chain + 1, it,
              s->total, el);
    fflush(p->f);
  }
  pthread_mutex_unlock(&p->lock);
}

void lvm_progress_free(lvm_progress *p) {
  if (!p) return;
  if (p->mode == LVM_PROGRESS_TTY && p->drawn) {
    pthread_mutex_lock(&p->lock);
    tty_draw(p, now());
    pthread_mutex_unlock(&p->lock);
  }
  pthread_mutex_destroy(&p->lock);
  free(p->ch);
  free(p);
}
