/* CmdStan CSV: column names, the draws writer and a reader (see lvm/csv.h). */
#include "lvm/csv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io_util.h"

/* ---- Column names ------------------------------------------------------ */

lvm_csv_names *lvm_csv_names_alloc(void) {
  lvm_csv_names *c = calloc(1, sizeof *c);
  if (!c) lvm_error("cannot allocate column names", __FILE__, __LINE__, LVM_ENOMEM);
  return c;
}

void lvm_csv_names_free(lvm_csv_names *c) {
  if (!c) return;
  for (size_t i = 0; i < c->n; i++) free(c->name[i]);
  free(c->name);
  free(c->is_int);
  free(c);
}

static lvm_status names_push(lvm_csv_names *c, char *s, int is_int) {
  if (!s) LVM_ERROR("cannot allocate a column name", LVM_ENOMEM);
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 16;
    char **t = realloc(c->name, cap * sizeof *t);
    if (t) c->name = t;
    unsigned char *u = realloc(c->is_int, cap);
    if (u) c->is_int = u;
    if (!t || !u) {
      free(s);
      LVM_ERROR("cannot allocate a column name", LVM_ENOMEM);
    }
    c->cap = cap;
  }
  c->name[c->n] = s;
  c->is_int[c->n] = is_int != 0;
  c->n++;
  return LVM_OK;
}

lvm_status lvm_csv_names_add(lvm_csv_names *c, const char *name, int ndim,
                             const size_t *dims, int is_int) {
  if (!c || !name || ndim < 0 || ndim > 16 || (ndim && !dims))
    LVM_ERROR("lvm_csv_names_add: invalid argument", LVM_EINVAL);
  if (ndim == 0) return names_push(c, lvm_io_strdup(name), is_int);
  size_t total = 1;
  for (int k = 0; k < ndim; k++) total *= dims[k];
  size_t idx[16] = {0};
  lvm_buf b;
  lvm_buf_init(&b);
  for (size_t i = 0; i < total; i++) {
    lvm_buf_reset(&b);
    lvm_buf_puts(&b, name);
    for (int k = 0; k < ndim; k++) lvm_buf_printf(&b, ".%zu", idx[k] + 1);
    if (b.failed) {
      lvm_buf_free(&b);
      LVM_ERROR("cannot allocate a column name", LVM_ENOMEM);
    }
    lvm_status s = names_push(c, lvm_io_strdup(b.s), is_int);
    if (s != LVM_OK) {
      lvm_buf_free(&b);
      return s;
    }
    for (int k = ndim - 1; k >= 0; k--) {
      if (++idx[k] < dims[k]) break;
      idx[k] = 0;
    }
  }
  lvm_buf_free(&b);
  return LVM_OK;
}

/* ---- Writing ----------------------------------------------------------- */

char *lvm_csv_chain_path(const char *out, int chain, int n_chains) {
  if (!out) return NULL;
  if (n_chains <= 1) return lvm_io_strdup(out);
  const char *slash = strrchr(out, '/');
  const char *base = slash ? slash + 1 : out;
  const char *dot = strrchr(base, '.');
  if (!dot || dot == base) dot = out + strlen(out);
  lvm_buf b;
  lvm_buf_init(&b);
  lvm_buf_putn(&b, out, (size_t)(dot - out));
  lvm_buf_printf(&b, "_%d", chain);
  lvm_buf_puts(&b, dot);
  return lvm_buf_take(&b);
}

struct lvm_csv {
  FILE *f;
  char *path;
  size_t n_cols;
  unsigned char *is_int;
  lvm_buf line;
  lvm_buf rows;        /* complete rows not written yet */
  double flushed_at;   /* monotonic seconds of the last write of rows */
  lvm_status status;
};

enum { CSV_FLUSH_BYTES = 1 << 16 };
#define CSV_FLUSH_SECONDS 0.25

static double mono_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static lvm_status put(lvm_csv *w, const char *s, size_t n) {
  if (w->status != LVM_OK) return w->status;
  if (n && fwrite(s, 1, n, w->f) != n) {
    w->status = LVM_EIO;
    LVM_IO_ERRORF(LVM_EIO, "%s: cannot write: %s", w->path, strerror(errno));
  }
  return w->status;
}

/* Write the pending rows (whole lines, one write). */
static lvm_status flush_rows(lvm_csv *w) {
  lvm_status s = put(w, w->rows.s, w->rows.len);
  lvm_buf_reset(&w->rows);
  w->flushed_at = mono_seconds();
  return s;
}

static lvm_status write_line(lvm_csv *w, const char *s, size_t n) {
  if (w->rows.len && flush_rows(w) != LVM_OK) return w->status;
  return put(w, s, n);
}

lvm_csv *lvm_csv_open(const char *path) {
  if (!path) {
    lvm_error("lvm_csv_open: NULL path", __FILE__, __LINE__, LVM_EINVAL);
    return NULL;
  }
  lvm_csv *w = calloc(1, sizeof *w);
  if (!w || !(w->path = lvm_io_strdup(path))) {
    free(w);
    lvm_error("cannot allocate a CSV writer", __FILE__, __LINE__, LVM_ENOMEM);
    return NULL;
  }
  w->f = fopen(path, "w");
  if (!w->f) {
    LVM_IO_ERRORF(LVM_EIO, "cannot create '%s': %s", path, strerror(errno));
    free(w->path);
    free(w);
    return NULL;
  }
  /* Unbuffered: each fwrite of a whole line is one write(2). */
  setvbuf(w->f, NULL, _IONBF, 0);
  lvm_buf_init(&w->line);
  lvm_buf_init(&w->rows);
  w->flushed_at = mono_seconds();
  return w;
}

lvm_status lvm_csv_settings(lvm_csv *w, const lvm_kv *kv, size_t n) {
  if (!w || (n && !kv)) LVM_ERROR("lvm_csv_settings: NULL argument", LVM_EINVAL);
  for (size_t i = 0; i < n; i++) {
    lvm_buf_reset(&w->line);
    lvm_buf_printf(&w->line, "# %s = %s\n", kv[i].key ? kv[i].key : "",
                   kv[i].value ? kv[i].value : "");
    if (w->line.failed) LVM_ERROR("out of memory", LVM_ENOMEM);
    if (write_line(w, w->line.s, w->line.len) != LVM_OK) return w->status;
  }
  return w->status;
}

lvm_status lvm_csv_comment(lvm_csv *w, const char *fmt, ...) {
  if (!w || !fmt) LVM_ERROR("lvm_csv_comment: NULL argument", LVM_EINVAL);
  lvm_buf text;
  lvm_buf_init(&text);
  va_list ap;
  va_start(ap, fmt);
  lvm_buf_vprintf(&text, fmt, ap);
  va_end(ap);
  lvm_buf_reset(&w->line);
  lvm_buf_puts(&w->line, "# ");
  for (size_t i = 0; i < text.len; i++) {
    if (text.s[i] == '\n') lvm_buf_puts(&w->line, "\n# ");
    else lvm_buf_putc(&w->line, text.s[i]);
  }
  lvm_buf_putc(&w->line, '\n');
  int failed = text.failed || w->line.failed;
  lvm_buf_free(&text);
  if (failed) LVM_ERROR("out of memory", LVM_ENOMEM);
  return write_line(w, w->line.s, w->line.len);
}

lvm_status lvm_csv_header(lvm_csv *w, const lvm_csv_names *names) {
  if (!w || !names) LVM_ERROR("lvm_csv_header: NULL argument", LVM_EINVAL);
  if (w->is_int) LVM_ERROR("lvm_csv_header: the header was already written", LVM_EINVAL);
  w->n_cols = names->n;
  w->is_int = malloc(names->n ? names->n : 1);
  if (!w->is_int) LVM_ERROR("out of memory", LVM_ENOMEM);
  if (names->n) memcpy(w->is_int, names->is_int, names->n);
  lvm_buf_reset(&w->line);
  for (size_t i = 0; i < names->n; i++) {
    if (i) lvm_buf_putc(&w->line, ',');
    lvm_buf_puts(&w->line, names->name[i]);
  }
  lvm_buf_putc(&w->line, '\n');
  if (w->line.failed) LVM_ERROR("out of memory", LVM_ENOMEM);
  return write_line(w, w->line.s, w->line.len);
}

lvm_status lvm_csv_row(lvm_csv *w, const double *values) {
  if (!w || (!values && w->n_cols)) LVM_ERROR("lvm_csv_row: NULL argument", LVM_EINVAL);
  if (!w->is_int) LVM_ERROR("lvm_csv_row: no header was written", LVM_EINVAL);
  if (w->status != LVM_OK) return w->status;
  char buf[LVM_DBL_BUFSZ];
  for (size_t i = 0; i < w->n_cols; i++) {
    size_t n = w->is_int[i] ? lvm_io_fmt_int(buf, values[i])
                            : lvm_io_fmt_double(buf, values[i]);
    if (i) lvm_buf_putc(&w->rows, ',');
    lvm_buf_putn(&w->rows, buf, n);
  }
  lvm_buf_putc(&w->rows, '\n');
  if (w->rows.failed) {
    w->rows.failed = 0;
    lvm_buf_reset(&w->rows);
    LVM_ERROR("out of memory", LVM_ENOMEM);
  }
  if (w->rows.len >= CSV_FLUSH_BYTES || mono_seconds() - w->flushed_at >= CSV_FLUSH_SECONDS)
    return flush_rows(w);
  return LVM_OK;
}

lvm_status lvm_csv_elapsed(lvm_csv *w, double warmup_seconds, double sampling_seconds) {
  return lvm_csv_comment(w,
                         "\n"
                         " Elapsed Time: %.3f seconds (Warm-up)\n"
                         "               %.3f seconds (Sampling)\n"
                         "               %.3f seconds (Total)\n",
                         warmup_seconds, sampling_seconds,
                         warmup_seconds + sampling_seconds);
}

lvm_status lvm_csv_close(lvm_csv *w) {
  if (!w) return LVM_OK;
  if (w->rows.len) flush_rows(w);
  lvm_status s = w->status;
  if (fclose(w->f) != 0 && s == LVM_OK) {
    s = LVM_EIO;
    LVM_IO_ERRORF(LVM_EIO, "%s: cannot close: %s", w->path, strerror(errno));
  }
  lvm_buf_free(&w->line);
  lvm_buf_free(&w->rows);
  free(w->is_int);
  free(w->path);
  free(w);
  return s;
}

/* ---- Reading ----------------------------------------------------------- */

void lvm_csv_table_free(lvm_csv_table *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n_cols; i++) free(t->names[i]);
  for (size_t i = 0; i < t->n_settings; i++) {
    free((char *)t->settings[i].key);
    free((char *)t->settings[i].value);
  }
  free(t->settings);
  free(t->names);
  free(t->values);
  free(t->path);
  free(t);
}

const char *lvm_csv_table_setting(const lvm_csv_table *t, const char *key) {
  if (!t || !key) return NULL;
  for (size_t i = 0; i < t->n_settings; i++)
    if (strcmp(t->settings[i].key, key) == 0) return t->settings[i].value;
  return NULL;
}

static char *trim_dup(const char *s, size_t n) {
  while (n && (*s == ' ' || *s == '\t')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* "# key = value" -> a setting (CmdStan also writes "(Default)" after the
 * value; it is dropped). */
static lvm_status add_setting(lvm_csv_table *t, const char *line, size_t n, size_t *cap) {
  const char *eq = memchr(line, '=', n);
  if (!eq) return LVM_OK;
  const char *k = line + 1; /* after '#' */
  size_t kn = (size_t)(eq - k);
  const char *v = eq + 1;
  size_t vn = n - (size_t)(v - line);
  const char *dflt = NULL;
  for (size_t i = 0; i + 9 <= vn; i++)
    if (memcmp(v + i, "(Default)", 9) == 0) dflt = v + i;
  if (dflt) vn = (size_t)(dflt - v);
  if (t->n_settings == *cap) {
    size_t c = *cap ? 2 * *cap : 16;
    lvm_kv *s = realloc(t->settings, c * sizeof *s);
    if (!s) LVM_ERROR("out of memory", LVM_ENOMEM);
    t->settings = s;
    *cap = c;
  }
  char *key = trim_dup(k, kn), *val = trim_dup(v, vn);
  if (!key || !val) {
    free(key), free(val);
    LVM_ERROR("out of memory", LVM_ENOMEM);
  }
  t->settings[t->n_settings].key = key;
  t->settings[t->n_settings].value = val;
  t->n_settings++;
  return LVM_OK;
}

lvm_status lvm_csv_read(const char *path, FILE *err, lvm_csv_table **out) {
  if (!path || !out) LVM_ERROR("lvm_csv_read: NULL argument", LVM_EINVAL);
  *out = NULL;
  if (!err) err = stderr;
  size_t len = 0;
  int e = 0;
  char *text = lvm_io_slurp(path, &len, &e);
  if (!text) {
    if (e == ENOMEM) LVM_ERROR("out of memory reading a CSV file", LVM_ENOMEM);
    fprintf(err, "%s: error: cannot read the file: %s\n", path, strerror(e));
    return LVM_EIO;
  }
  lvm_csv_table *t = calloc(1, sizeof *t);
  if (!t || !(t->path = lvm_io_strdup(path))) {
    free(t);
    free(text);
    LVM_ERROR("out of memory reading a CSV file", LVM_ENOMEM);
  }
  lvm_status st = LVM_OK;
  size_t settings_cap = 0, rows_cap = 0, lineno = 0;
  int have_header = 0, save_warmup = 0;
  size_t adapt_row = (size_t)-1; /* rows read when "# Adaptation terminated" came */
  char *p = text, *endp = text + len;
  while (p < endp && st == LVM_OK) {
    char *nl = memchr(p, '\n', (size_t)(endp - p));
    char *eol = nl ? nl : endp;
    size_t n = (size_t)(eol - p);
    lineno++;
    if (n && p[n - 1] == '\r') n--;
    if (n == 0 || (n && p[0] == '#')) {
      if (n && p[0] == '#') {
        if (!have_header) st = add_setting(t, p, n, &settings_cap);
        if (n >= 23 && memcmp(p, "# Adaptation terminated", 23) == 0 &&
            adapt_row == (size_t)-1)
          adapt_row = t->n_rows;
      }
      p = eol + (nl != NULL);
      continue;
    }
    *eol = '\0';
    if (!have_header) {
      /* Header: split on commas. */
      size_t cols = 1;
      for (size_t i = 0; i < n; i++) cols += p[i] == ',';
      t->names = calloc(cols, sizeof *t->names);
      if (!t->names) {
        st = LVM_ENOMEM;
        break;
      }
      char *s = p;
      for (size_t c = 0; c < cols; c++) {
        char *comma = strchr(s, ',');
        size_t fl = comma ? (size_t)(comma - s) : strlen(s);
        if (fl && s[fl - 1] == '\r') fl--;
        t->names[c] = trim_dup(s, fl);
        if (!t->names[c]) {
          st = LVM_ENOMEM;
          break;
        }
        t->n_cols++;
        if (t->names[c][0] == '\0') {
          fprintf(err, "%s:%zu: error: column %zu of the header has no name\n", path,
                  lineno, c + 1);
          st = LVM_EDATA;
          break;
        }
        s = comma ? comma + 1 : s + fl;
      }
      have_header = 1;
      const char *sw = lvm_csv_table_setting(t, "save_warmup");
      save_warmup = sw && (!strcmp(sw, "1") || !strcmp(sw, "true"));
      p = eol + (nl != NULL);
      continue;
    }
    /* A row.  Without its newline it is the last line, cut short: a run
     * killed while the kernel was copying a write of several pages (a
     * fatal signal ends a regular-file write(2) between pages, so the
     * writer's whole-line writes are not enough), and its last field may
     * be a prefix of a number; left out, with a warning. */
    if (!nl) {
      fprintf(err, "%s:%zu: warning: the last line has no newline (a run killed while writing it?); "
                   "it is left out\n", path, lineno);
      break;
    }
    if (t->n_rows == rows_cap) {
      size_t c = rows_cap ? 2 * rows_cap : 256;
      if (c > SIZE_MAX / sizeof(double) / t->n_cols) {
        st = LVM_ENOMEM;
        break;
      }
      double *v = realloc(t->values, c * t->n_cols * sizeof *v);
      if (!v) {
        st = LVM_ENOMEM;
        break;
      }
      t->values = v;
      rows_cap = c;
    }
    double *row = t->values + t->n_rows * t->n_cols;
    char *s = p;
    size_t c = 0;
    for (;;) {
      char *q;
      errno = 0;
      double x = strtod(s, &q);
      char *f_end = q;
      while (*f_end == ' ' || *f_end == '\t' || *f_end == '\r') f_end++;
      if (q == s || (*f_end != ',' && *f_end != '\0')) {
        char *comma = strchr(s, ',');
        size_t fl = comma ? (size_t)(comma - s) : strlen(s);
        if (c < t->n_cols)
          fprintf(err, "%s:%zu: error: column '%s' (field %zu): '%.*s' is not a number\n",
                  path, lineno, t->names[c], c + 1, (int)(fl > 40 ? 40 : fl), s);
        else
          fprintf(err, "%s:%zu: error: field %zu: '%.*s' is not a number\n", path, lineno,
                  c + 1, (int)(fl > 40 ? 40 : fl), s);
        st = LVM_EDATA;
        break;
      }
      if (c < t->n_cols) row[c] = x;
      c++;
      if (*f_end == '\0') break;
      s = f_end + 1;
    }
    if (st != LVM_OK) break;
    if (c != t->n_cols) {
      fprintf(err, "%s:%zu: error: row has %zu value%s but the header has %zu column%s\n",
              path, lineno, c, c == 1 ? "" : "s", t->n_cols, t->n_cols == 1 ? "" : "s");
      st = LVM_EDATA;
      break;
    }
    t->n_rows++;
    p = eol + (nl != NULL);
  }
  free(text);
  if (st == LVM_ENOMEM) {
    lvm_csv_table_free(t);
    LVM_ERROR("out of memory reading a CSV file", LVM_ENOMEM);
  }
  if (st == LVM_OK && !have_header) {
    fprintf(err, "%s: error: no header line (every line is empty or a # comment)\n", path);
    st = LVM_EDATA;
  }
  if (st == LVM_OK && save_warmup && adapt_row != (size_t)-1 && adapt_row > 0) {
    size_t drop = adapt_row;
    memmove(t->values, t->values + drop * t->n_cols,
            (t->n_rows - drop) * t->n_cols * sizeof(double));
    t->n_rows -= drop;
    t->n_warmup_dropped = drop;
  }
  if (st != LVM_OK) {
    lvm_csv_table_free(t);
    return st;
  }
  *out = t;
  return LVM_OK;
}
