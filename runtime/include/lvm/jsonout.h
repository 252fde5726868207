/* lvm/jsonout.h — a small streaming JSON writer for output files (simulate
 * writes a data file, vi writes posterior summaries).
 *
 * The writer writes to a temporary file in the same directory as `path`
 * (`path.tmp.XXXXXX`) and renames it to `path` in lvm_jsonout_close, so the
 * file appears whole or not at all.  lvm_jsonout_abort removes the
 * temporary.  Errors are sticky: after a failed write every call returns the
 * same status and close removes the temporary; so a caller may check only
 * the status of close.
 *
 * Numbers: doubles in the shortest form that reads back to the same value
 * (at most 17 significant digits, like %.17g), non-finite values as the
 * strings "Inf", "-Inf", "NaN" (the data format's convention); integers
 * without decimal point.  Members of an object go on their own lines,
 * arrays on one line.
 *
 *   lvm_jsonout *w = lvm_jsonout_open("out.json");
 *   lvm_jsonout_begin_object(w);
 *   lvm_jsonout_key(w, "N");  lvm_jsonout_int(w, 3);
 *   lvm_jsonout_key(w, "x");  lvm_jsonout_array(w, 1, dims, x, 0, NULL);
 *   lvm_jsonout_end_object(w);
 *   if (lvm_jsonout_close(w) != LVM_OK) ...
 */
#ifndef LVM_JSONOUT_H
#define LVM_JSONOUT_H

#include <stddef.h>

#include "lvm/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lvm_jsonout lvm_jsonout;

/* Create the temporary file; NULL (reported through the error hook, naming
 * the file and the reason) if it cannot be created. */
lvm_jsonout *lvm_jsonout_open(const char *path);

lvm_status lvm_jsonout_begin_object(lvm_jsonout *w);
lvm_status lvm_jsonout_end_object(lvm_jsonout *w);
lvm_status lvm_jsonout_begin_array(lvm_jsonout *w);
lvm_status lvm_jsonout_end_array(lvm_jsonout *w);
/* The next member's name (only inside an object). */
lvm_status lvm_jsonout_key(lvm_jsonout *w, const char *key);
lvm_status lvm_jsonout_double(lvm_jsonout *w, double x);
lvm_status lvm_jsonout_int(lvm_jsonout *w, long long x);
lvm_status lvm_jsonout_bool(lvm_jsonout *w, int x);
lvm_status lvm_jsonout_null(lvm_jsonout *w);
/* A string, escaped as JSON requires (UTF-8 passes through). */
lvm_status lvm_jsonout_string(lvm_jsonout *w, const char *s);
/* A value of shape dims[0..ndim-1] (a scalar if ndim = 0) as nested arrays,
 * row-major.  as_integer: write integral values without decimal point.
 * missing (may be NULL): 1 writes null. */
lvm_status lvm_jsonout_array(lvm_jsonout *w, int ndim, const size_t *dims,
                             const double *values, int as_integer,
                             const unsigned char *missing);

/* Finish: the document must be complete (every object and array closed).
 * Flushes, closes and renames the temporary onto `path`; frees w.  On any
 * error the temporary is removed and `path` is left as it was. */
lvm_status lvm_jsonout_close(lvm_jsonout *w);
/* Give up: remove the temporary, free w. */
void lvm_jsonout_abort(lvm_jsonout *w);

#ifdef __cplusplus
}
#endif
#endif
