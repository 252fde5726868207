/* io_util.h — helpers shared by the io sources of liblvmrt (not installed).
 *
 * Growable character buffers, the shortest round-trip double printer, and
 * error reporting with a formatted reason.  Nothing here keeps state.
 */
#ifndef LVM_IO_UTIL_H
#define LVM_IO_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "lvm/status.h"

#if defined(__GNUC__)
#define LVM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LVM_PRINTF(a, b)
#endif

/* A growable, always NUL-terminated character buffer.  On allocation failure
 * `failed` is set and further appends are ignored. */
typedef struct lvm_buf {
  char *s;
  size_t len, cap;
  int failed;
} lvm_buf;

void lvm_buf_init(lvm_buf *b);
void lvm_buf_free(lvm_buf *b);
void lvm_buf_reset(lvm_buf *b);
void lvm_buf_putc(lvm_buf *b, char c);
void lvm_buf_puts(lvm_buf *b, const char *s);
void lvm_buf_putn(lvm_buf *b, const char *s, size_t n);
void lvm_buf_printf(lvm_buf *b, const char *fmt, ...) LVM_PRINTF(2, 3);
void lvm_buf_vprintf(lvm_buf *b, const char *fmt, va_list ap);
/* Take ownership of the string (the buffer is reset). NULL if it failed. */
char *lvm_buf_take(lvm_buf *b);

/* Shortest decimal form of x that reads back (strtod) to the same double:
 * the first of %.15g, %.16g, %.17g that round-trips.  Non-finite values are
 * written as `inf`, `-inf`, `nan`.  buf needs LVM_DBL_BUFSZ bytes.  Returns
 * the length. */
#define LVM_DBL_BUFSZ 32
size_t lvm_io_fmt_double(char *buf, double x);
/* Integral doubles with |x| < 2^63 as "%lld", others as lvm_io_fmt_double. */
size_t lvm_io_fmt_int(char *buf, double x);

/* Format a reason and report it through lvm_error (status.h). */
void lvm_io_errorf(const char *file, int line, int status, const char *fmt, ...)
    LVM_PRINTF(4, 5);
#define LVM_IO_ERRORF(status, ...)                                             \
  lvm_io_errorf(__FILE__, __LINE__, (status), __VA_ARGS__)

char *lvm_io_strdup(const char *s);

/* Read a whole file into a NUL-terminated buffer, followed by
 * LVM_IO_PADDING more zero bytes (simdjson reads up to 64 bytes past the
 * text: SIMDJSON_PADDING).  On failure returns NULL and sets *err to errno. */
#define LVM_IO_PADDING 64
char *lvm_io_slurp(const char *path, size_t *len, int *err);

/* "x[3,2]" for flat row-major index `flat` of an array with ndim/dims
 * (1-based indices); just "x" for a scalar. */
void lvm_io_element_name(lvm_buf *b, const char *name, int ndim,
                         const size_t *dims, size_t flat);

#endif
