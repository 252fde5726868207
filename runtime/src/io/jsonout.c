/* Streaming JSON writer with atomic replacement (see lvm/jsonout.h). */
#include "lvm/jsonout.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io_util.h"

#define MAX_DEPTH 64

struct lvm_jsonout {
  FILE *f;
  char *path, *tmp;
  lvm_status status;   /* sticky */
  int depth;
  char kind[MAX_DEPTH];  /* '{' or '[' */
  size_t count[MAX_DEPTH];
  int have_key;        /* a key was written, its value is next */
  int done;            /* the top-level value is complete */
};

static lvm_status fail(lvm_jsonout *w, lvm_status s, const char *what) {
  if (w->status == LVM_OK) {
    w->status = s;
    LVM_IO_ERRORF(s, "%s: %s", w->path, what);
  }
  return w->status;
}

static void put(lvm_jsonout *w, const char *s, size_t n) {
  if (w->status != LVM_OK) return;
  if (fwrite(s, 1, n, w->f) != n) {
    char why[256];
    snprintf(why, sizeof why, "cannot write: %s", strerror(errno));
    fail(w, LVM_EIO, why);
  }
}

static void puts_(lvm_jsonout *w, const char *s) { put(w, s, strlen(s)); }

static void newline_indent(lvm_jsonout *w, int depth) {
  char sp[2 * MAX_DEPTH + 2];
  sp[0] = '\n';
  int n = 2 * depth;
  memset(sp + 1, ' ', (size_t)n);
  put(w, sp, (size_t)n + 1);
}

lvm_jsonout *lvm_jsonout_open(const char *path) {
  if (!path) {
    lvm_error("lvm_jsonout_open: NULL path", __FILE__, __LINE__, LVM_EINVAL);
    return NULL;
  }
  lvm_jsonout *w = calloc(1, sizeof *w);
  size_t n = strlen(path);
  if (w) w->path = lvm_io_strdup(path);
  if (w) w->tmp = malloc(n + 12);
  if (!w || !w->path || !w->tmp) {
    if (w) free(w->path), free(w->tmp);
    free(w);
    lvm_error("cannot allocate a JSON writer", __FILE__, __LINE__, LVM_ENOMEM);
    return NULL;
  }
  /* Our own unique name (not mkstemp) so that open() applies the umask as
   * for any new file, without touching the process-wide umask. */
  int fd = -1;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  unsigned long long r = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 32) ^
                         (unsigned long long)(uintptr_t)w;
  for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
    r = r * 6364136223846793005ULL + 1442695040888963407ULL;
    snprintf(w->tmp, n + 12, "%s.tmp.%06llx", path, (r >> 40) & 0xffffff);
    fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    LVM_IO_ERRORF(LVM_EIO, "cannot create '%s': %s", path, strerror(errno));
    free(w->path), free(w->tmp), free(w);
    return NULL;
  }
  w->f = fdopen(fd, "w");
  if (!w->f) {
    LVM_IO_ERRORF(LVM_EIO, "cannot create '%s': %s", path, strerror(errno));
    close(fd);
    unlink(w->tmp);
    free(w->path), free(w->tmp), free(w);
    return NULL;
  }
  return w;
}

/* Before a value: the separator and the layout. */
static lvm_status before_value(lvm_jsonout *w) {
  if (w->status != LVM_OK) return w->status;
  if (w->done) return fail(w, LVM_EINVAL, "a second top-level JSON value");
  if (w->depth > 0) {
    int d = w->depth - 1;
    if (w->kind[d] == '{') {
      if (!w->have_key) return fail(w, LVM_EINVAL, "a JSON object member without a key");
      w->have_key = 0;
    } else {
      if (w->count[d]++) puts_(w, ", ");
    }
  }
  return w->status;
}

static void after_value(lvm_jsonout *w) {
  if (w->depth == 0) w->done = 1;
}

static lvm_status begin(lvm_jsonout *w, char kind) {
  if (!w) LVM_ERROR("lvm_jsonout: NULL writer", LVM_EINVAL);
  if (before_value(w) != LVM_OK) return w->status;
  if (w->depth == MAX_DEPTH) return fail(w, LVM_EINVAL, "JSON nested too deeply");
  put(w, &kind, 1);
  w->kind[w->depth] = kind;
  w->count[w->depth] = 0;
  w->depth++;
  return w->status;
}

static lvm_status end(lvm_jsonout *w, char kind) {
  if (!w) LVM_ERROR("lvm_jsonout: NULL writer", LVM_EINVAL);
  if (w->status != LVM_OK) return w->status;
  if (w->depth == 0 || w->kind[w->depth - 1] != kind || w->have_key)
    return fail(w, LVM_EINVAL, "unbalanced JSON object or array");
  w->depth--;
  if (kind == '{') {
    if (w->count[w->depth]) newline_indent(w, w->depth);
    puts_(w, "}");
  } else {
    puts_(w, "]");
  }
  after_value(w);
  return w->status;
}

lvm_status lvm_jsonout_begin_object(lvm_jsonout *w) { return begin(w, '{'); }
lvm_status lvm_jsonout_end_object(lvm_jsonout *w) { return end(w, '{'); }
lvm_status lvm_jsonout_begin_array(lvm_jsonout *w) { return begin(w, '['); }
lvm_status lvm_jsonout_end_array(lvm_jsonout *w) { return end(w, '['); }

static void put_string(lvm_jsonout *w, const char *s) {
  lvm_buf b;
  lvm_buf_init(&b);
  lvm_buf_putc(&b, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"': lvm_buf_puts(&b, "\\\""); break;
    case '\\': lvm_buf_puts(&b, "\\\\"); break;
    case '\n': lvm_buf_puts(&b, "\\n"); break;
    case '\r': lvm_buf_puts(&b, "\\r"); break;
    case '\t': lvm_buf_puts(&b, "\\t"); break;
    default:
      if (*p < 0x20) lvm_buf_printf(&b, "\\u%04x", *p);
      else lvm_buf_putc(&b, (char)*p);
    }
  }
  lvm_buf_putc(&b, '"');
  if (b.failed) fail(w, LVM_ENOMEM, "out of memory");
  else put(w, b.s, b.len);
  lvm_buf_free(&b);
}

lvm_status lvm_jsonout_key(lvm_jsonout *w, const char *key) {
  if (!w || !key) LVM_ERROR("lvm_jsonout_key: NULL argument", LVM_EINVAL);
  if (w->status != LVM_OK) return w->status;
  if (w->depth == 0 || w->kind[w->depth - 1] != '{' || w->have_key)
    return fail(w, LVM_EINVAL, "a JSON key outside an object");
  if (w->count[w->depth - 1]++) puts_(w, ",");
  newline_indent(w, w->depth);
  put_string(w, key);
  puts_(w, ": ");
  w->have_key = 1;
  return w->status;
}

static void put_double(lvm_jsonout *w, double x) {
  char buf[LVM_DBL_BUFSZ];
  if (isnan(x)) puts_(w, "\"NaN\"");
  else if (isinf(x)) puts_(w, x > 0 ? "\"Inf\"" : "\"-Inf\"");
  else {
    size_t n = lvm_io_fmt_double(buf, x);
    /* Keep a real a real: "2" would read back as an integer. */
    if (!strpbrk(buf, ".eE") && n + 2 < sizeof buf) memcpy(buf + n, ".0", 3), n += 2;
    put(w, buf, n);
  }
}

lvm_status lvm_jsonout_double(lvm_jsonout *w, double x) {
  if (!w) LVM_ERROR("lvm_jsonout: NULL writer", LVM_EINVAL);
  if (before_value(w) != LVM_OK) return w->status;
  put_double(w, x);
  after_value(w);
  return w->status;
}

lvm_status lvm_jsonout_int(lvm_jsonout *w, long long x) {
  if (!w) LVM_ERROR("lvm_jsonout: NULL writer", LVM_EINVAL);
  if (before_value(w) != LVM_OK) return w->status;
  char buf[32];
  put(w, buf, (size_t)snprintf(buf, sizeof buf, "%lld", x));
  after_value(w);
  return w->status;
}

lvm_status lvm_jsonout_bool(lvm_jsonout *w, int x) {
  if (!w) LVM_ERROR("lvm_jsonout: NULL writer", LVM_EINVAL);
  if (before_value(w) != LVM_OK) return w->status;
  puts_(w, x ? "true" : "false");
  after_value(w);
  return w->status;
}

lvm_status lvm_jsonout_null(lvm_jsonout *w) {
  if (!w) LVM_ERROR("lvm_jsonout: NULL writer", LVM_EINVAL);
  if (before_value(w) != LVM_OK) return w->status;
  puts_(w, "null");
  after_value(w);
  return w->status;
}

lvm_status lvm_jsonout_string(lvm_jsonout *w, const char *s) {
  if (!w || !s) LVM_ERROR("lvm_jsonout_string: NULL argument", LVM_EINVAL);
  if (before_value(w) != LVM_OK) return w->status;
  put_string(w, s);
  after_value(w);
  return w->status;
}

static void put_element(lvm_jsonout *w, double x, int as_integer, int missing) {
  char buf[LVM_DBL_BUFSZ];
  if (missing) puts_(w, "null");
  else if (as_integer && isfinite(x) && x == floor(x)) put(w, buf, lvm_io_fmt_int(buf, x));
  else put_double(w, x);
}

/* Nested arrays of one block of values, written directly (no per-element
 * state changes). */
static void put_nested(lvm_jsonout *w, int ndim, const size_t *dims,
                       const double *values, const unsigned char *missing,
                       int as_integer, size_t *pos) {
  puts_(w, "[");
  for (size_t i = 0; i < dims[0] && w->status == LVM_OK; i++) {
    if (i) puts_(w, ", ");
    if (ndim == 1) {
      put_element(w, values[*pos], as_integer, missing && missing[*pos]);
      (*pos)++;
    } else {
      put_nested(w, ndim - 1, dims + 1, values, missing, as_integer, pos);
    }
  }
  puts_(w, "]");
}

lvm_status lvm_jsonout_array(lvm_jsonout *w, int ndim, const size_t *dims,
                             const double *values, int as_integer,
                             const unsigned char *missing) {
  if (!w || ndim < 0 || (ndim && !dims) || !values)
    LVM_ERROR("lvm_jsonout_array: invalid argument", LVM_EINVAL);
  if (before_value(w) != LVM_OK) return w->status;
  if (ndim == 0) {
    put_element(w, values[0], as_integer, missing && missing[0]);
  } else {
    size_t pos = 0;
    put_nested(w, ndim, dims, values, missing, as_integer, &pos);
  }
  after_value(w);
  return w->status;
}

static void discard(lvm_jsonout *w) {
  if (w->f) fclose(w->f);
  unlink(w->tmp);
  free(w->path);
  free(w->tmp);
  free(w);
}

lvm_status lvm_jsonout_close(lvm_jsonout *w) {
  if (!w) LVM_ERROR("lvm_jsonout_close: NULL writer", LVM_EINVAL);
  if (w->status == LVM_OK && (!w->done || w->depth != 0))
    fail(w, LVM_EINVAL, "incomplete JSON document (an object or array is not closed)");
  if (w->status == LVM_OK) puts_(w, "\n");
  if (w->status == LVM_OK && (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0)) {
    char why[256];
    snprintf(why, sizeof why, "cannot write: %s", strerror(errno));
    fail(w, LVM_EIO, why);
  }
  lvm_status s = w->status;
  if (s != LVM_OK) {
    discard(w);
    return s;
  }
  FILE *f = w->f;
  w->f = NULL;
  if (fclose(f) != 0) {
    char why[256];
    snprintf(why, sizeof why, "cannot write: %s", strerror(errno));
    s = fail(w, LVM_EIO, why);
  } else if (rename(w->tmp, w->path) != 0) {
    char why[256];
    snprintf(why, sizeof why, "cannot rename the temporary file %s: %s", w->tmp,
             strerror(errno));
    s = fail(w, LVM_EIO, why);
  }
  if (s != LVM_OK) {
    discard(w);
    return s;
  }
  free(w->path);
  free(w->tmp);
  free(w);
  return LVM_OK;
}

void lvm_jsonout_abort(lvm_jsonout *w) {
  if (w) discard(w);
}
