/* Helpers shared by the io sources (see io_util.h). */
#include "io_util.h"

#include "lvm/mem.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* digits[0..p) with decimal exponent e (value 0.d1d2... x 10^(e+1)), in
 * the style of printf's %.<p>g: fixed notation when -4 <= e < p, else
 * d.ddde+XX; trailing zeros dropped. */
static size_t render_g(char *buf, bool neg, const char *dig, int prec, int e) {
  int p = prec;
  while (p > 1 && dig[p - 1] == '0') p--;
  char *o = buf;
  if (neg) *o++ = '-';
  if (e >= -4 && e < prec) {
    if (e < 0) {
      *o++ = '0';
      *o++ = '.';
      for (int i = -1; i > e; i--) *o++ = '0';
      for (int i = 0; i < p; i++) *o++ = dig[i];
    } else {
      for (int i = 0; i <= e; i++) *o++ = i < p ? dig[i] : '0';
      if (p > e + 1) {
        *o++ = '.';
        for (int i = e + 1; i < p; i++) *o++ = dig[i];
      }
    }
  } else {
    *o++ = dig[0];
    if (p > 1) {
      *o++ = '.';
      for (int i = 1; i < p; i++) *o++ = dig[i];
    }
    int a = e < 0 ? -e : e;
    *o++ = 'e';
    *o++ = e < 0 ? '-' : '+';
    if (a >= 100) *o++ = (char)('0' + a / 100);
    *o++ = (char)('0' + a / 10 % 10);
    *o++ = (char)('0' + a % 10);
  }
  *o = 0;
  return (size_t)(o - buf);
}

/* The shortest of 15, 16 or 17 significant digits that reads back as x, as
 * printf's %.15g, %.16g or %.17g would write it: one conversion to 17
 * digits, then the 15- and 16-digit roundings of that string (printf again
 * only for the rare exact ties), each checked with strtod.  About 2x
 * faster than three printf calls. */
size_t lvm_io_fmt_double(char *buf, double x) {
  if (isnan(x)) return (size_t)snprintf(buf, LVM_DBL_BUFSZ, "nan");
  if (isinf(x)) return (size_t)snprintf(buf, LVM_DBL_BUFSZ, x > 0 ? "inf" : "-inf");
  if (x == 0) return (size_t)snprintf(buf, LVM_DBL_BUFSZ, signbit(x) ? "-0" : "0");
  char e17[40];
  snprintf(e17, sizeof e17, "%.16e", x); /* [-]d.dddddddddddddddde[+-]XX */
  bool neg = e17[0] == '-';
  const char *q = e17 + neg;
  char dig[18];
  dig[0] = q[0];
  memcpy(dig + 1, q + 2, 16);
  int e = atoi(q + 19);
  for (int p = 15; p <= 16; p++) {
    /* the 17 digits are themselves rounded: when the digits dropped are
     * exactly half a unit ("5", "50"), only the binary value decides */
    bool tie = p == 16 ? dig[16] == '5' : dig[15] == '5' && dig[16] == '0';
    if (tie) {
      size_t n = (size_t)snprintf(buf, LVM_DBL_BUFSZ, "%.*g", p, x);
      if (strtod(buf, NULL) == x) return n;
      continue;
    }
    char d[18];
    memcpy(d, dig, 17);
    int ee = e;
    if (dig[p] >= '5') { /* round half up on the decimal string */
      int i = p - 1;
      while (i >= 0 && d[i] == '9') d[i--] = '0';
      if (i >= 0) d[i]++;
      else {
        memmove(d + 1, d, (size_t)p - 1);
        d[0] = '1';
        ee++;
      }
    }
    size_t n = render_g(buf, neg, d, p, ee);
    if (strtod(buf, NULL) == x) return n;
  }
  return render_g(buf, neg, dig, 17, e);
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
  /* a regular file: its size (and 2 for the terminator and the end test,
   * and LVM_IO_PADDING zeros) at once, on huge pages when large; else grown
   * by doubling */
  struct stat sb;
  size_t cap = 1 << 16, n = 0;
  if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
      (unsigned long long)sb.st_size < SIZE_MAX / 4)
    cap = (size_t)sb.st_size + 2 + LVM_IO_PADDING;
  char *s = lvm_alloc_large(cap);
  if (!s) {
    fclose(f);
    *err = ENOMEM;
    return NULL;
  }
  for (;;) {
    if (cap - n < 2 + LVM_IO_PADDING) {
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
    size_t got = fread(s + n, 1, cap - n - 1 - LVM_IO_PADDING, f);
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
  memset(s + n, 0, 1 + LVM_IO_PADDING);
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
