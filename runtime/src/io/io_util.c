/* Helpers shared by the io sources (see io_util.h). */
#include "io_util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void lvm_buf_init(lvm_buf *b) {
  b->s = NULL;
  b->len = b->cap = 0;
  b->failed = 0;
}

void lvm_buf_free(lvm_buf *b) {
  free(b->s);
  lvm_buf_init(b);
}

void lvm_buf_reset(lvm_buf *b) {
  b->len = 0;
  if (b->s) b->s[0] = '\0';
}

static int reserve(lvm_buf *b, size_t extra) {
  if (b->failed) return 0;
  if (b->len + extra + 1 <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) cap *= 2;
  char *s = realloc(b->s, cap);
  if (!s) {
    b->failed = 1;
    return 0;
  }
  b->s = s;
  b->cap = cap;
  return 1;
}

void lvm_buf_putn(lvm_buf *b, const char *s, size_t n) {
  if (!reserve(b, n)) return;
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void lvm_buf_putc(lvm_buf *b, char c) { lvm_buf_putn(b, &c, 1); }

void lvm_buf_puts(lvm_buf *b, const char *s) { lvm_buf_putn(b, s, strlen(s)); }

void lvm_buf_vprintf(lvm_buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  if (n < 0) {
    b->failed = 1;
  } else if ((size_t)n < sizeof small) {
    lvm_buf_putn(b, small, (size_t)n);
  } else if (reserve(b, (size_t)n)) {
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
    b->len += (size_t)n;
  }
  va_end(ap2);
}

void lvm_buf_printf(lvm_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lvm_buf_vprintf(b, fmt, ap);
  va_end(ap);
}

char *lvm_buf_take(lvm_buf *b) {
  if (b->failed) {
    lvm_buf_free(b);
    return NULL;
  }
  char *s = b->s ? b->s : lvm_io_strdup("");
  lvm_buf_init(b);
  return s;
}

size_t lvm_io_fmt_double(char *buf, double x) {
  if (isnan(x)) return (size_t)snprintf(buf, LVM_DBL_BUFSZ, "nan");
  if (isinf(x)) return (size_t)snprintf(buf, LVM_DBL_BUFSZ, x > 0 ? "inf" : "-inf");
  int n = 0;
  for (int prec = 15; prec <= 17; prec++) {
    n = snprintf(buf, LVM_DBL_BUFSZ, "%.*g", prec, x);
    if (prec == 17 || strtod(buf, NULL) == x) break;
  }
  return (size_t)n;
}

size_t lvm_io_fmt_int(char *buf, double x) {
  if (x == floor(x) && fabs(x) < 9.2233720368547758e18)
    return (size_t)snprintf(buf, LVM_DBL_BUFSZ, "%lld", (long long)x);
  return lvm_io_fmt_double(buf, x);
}

void lvm_io_errorf(const char *file, int line, int status, const char *fmt, ...) {
  char reason[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  lvm_error(reason, file, line, status);
}

char *lvm_io_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

char *lvm_io_slurp(const char *path, size_t *len, int *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    *err = errno;
    return NULL;
  }
  size_t cap = 1 << 16, n = 0;
  char *s = malloc(cap);
  if (!s) {
    fclose(f);
    *err = ENOMEM;
    return NULL;
  }
  for (;;) {
    if (cap - n < 2) {
      char *t = realloc(s, cap * 2);
      if (!t) {
        free(s);
        fclose(f);
        *err = ENOMEM;
        return NULL;
      }
      s = t;
      cap *= 2;
    }
    size_t got = fread(s + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    *err = errno ? errno : EIO;
    free(s);
    fclose(f);
    return NULL;
  }
  fclose(f);
  s[n] = '\0';
  if (len) *len = n;
  return s;
}

void lvm_io_element_name(lvm_buf *b, const char *name, int ndim,
                         const size_t *dims, size_t flat) {
  lvm_buf_puts(b, name);
  if (ndim <= 0) return;
  size_t idx[16];
  for (int k = ndim - 1; k >= 0; k--) {
    size_t d = dims[k] ? dims[k] : 1;
    idx[k] = flat % d;
    flat /= d;
  }
  lvm_buf_putc(b, '[');
  for (int k = 0; k < ndim; k++)
    lvm_buf_printf(b, k ? ",%zu" : "%zu", idx[k] + 1);
  lvm_buf_putc(b, ']');
}
