/* lvm/csv.h — draws out as CmdStan CSV, and a reader for such files.
 *
 * A draws file (CmdStan's layout, so ArviZ `from_cmdstan`, the R package
 * `posterior` and `stansummary` read it):
 *
 *   # model = gmm                       <- settings: "# key = value" lines
 *   # method = sample
 *   # seed = 42
 *   lp__,accept_stat__,mu.1,mu.2,z.1.1  <- header
 *   -12.5,0.93,1.25,-0.5,3              <- one row per draw
 *   #
 *   #  Elapsed Time: 0.12 seconds (Warm-up)   <- trailing comments
 *
 * Columns: `lp__`, then sampler columns whose names end in `__`, then the
 * variables flattened `name.i.j` (1-based, row-major: the last index runs
 * fastest), as lvm_csv_names_add generates them.
 *
 * Values: doubles in the shortest form that reads back to the same double
 * (%.15g, %.16g or %.17g, whichever is first to round-trip), integer
 * columns as integers, non-finite values as `inf`, `-inf`, `nan` (as
 * CmdStan writes them).
 *
 * Durability: every write(2) holds complete lines only, so a run killed at
 * any moment leaves a valid file.  Rows are collected and written together
 * when 64 KiB have accumulated or a quarter of a second has passed since the
 * last write (and before any comment line, and at close), so a killed run
 * keeps the draws up to about 0.25 s before it stopped; one write per row
 * cost more than the sweeps of small models.  (Unlike lvm/jsonout.h there
 * is no temporary file: partial results are the point.)
 */
#ifndef LVM_CSV_H
#define LVM_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "lvm/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A setting written as "# key = value". */
typedef struct lvm_kv {
  const char *key;
  const char *value;
} lvm_kv;

/* ---- Column names ------------------------------------------------------ */

typedef struct lvm_csv_names {
  size_t n, cap;
  char **name;
  unsigned char *is_int; /* 1: the column holds integers */
} lvm_csv_names;

lvm_csv_names *lvm_csv_names_alloc(void);
void lvm_csv_names_free(lvm_csv_names *c);
/* Append the columns of a variable of shape dims[0..ndim-1]: `name` for a
 * scalar, else name.1.1, name.1.2, ... (row-major, 1-based).  A shape with a
 * zero dimension adds no columns. */
lvm_status lvm_csv_names_add(lvm_csv_names *c, const char *name, int ndim,
                             const size_t *dims, int is_int);

/* ---- Writing ----------------------------------------------------------- */

/* The file of chain `chain` (1-based) of n_chains for `--out out`: `out`
 * itself when n_chains == 1, else `_<chain>` before the extension of the
 * last path component (draws.csv -> draws_2.csv; out -> out_2).  malloc'd;
 * NULL if out of memory. */
char *lvm_csv_chain_path(const char *out, int chain, int n_chains);

typedef struct lvm_csv lvm_csv;

/* Create (truncate) `path`; NULL, reported through the error hook with the
 * file name and reason, if it cannot be created. */
lvm_csv *lvm_csv_open(const char *path);
/* "# key = value" for each setting (call before the header). */
lvm_status lvm_csv_settings(lvm_csv *w, const lvm_kv *kv, size_t n);
/* One comment line "# <text>" (printf format; a newline in the text starts a
 * new "# " line).  Anywhere: before the header, or after rows (adaptation
 * information, elapsed times). */
lvm_status lvm_csv_comment(lvm_csv *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The header line; fixes the number of columns and which hold integers. */
lvm_status lvm_csv_header(lvm_csv *w, const lvm_csv_names *names);
/* One row of names->n values (written with the pending rows, see above). */
lvm_status lvm_csv_row(lvm_csv *w, const double *values);
/* CmdStan's trailing block:
 *   #
 *   #  Elapsed Time: 0.005 seconds (Warm-up)
 *   #                0.013 seconds (Sampling)
 *   #                0.018 seconds (Total)
 *   #                                                            */
lvm_status lvm_csv_elapsed(lvm_csv *w, double warmup_seconds, double sampling_seconds);
/* Close and free (the status of the final close; rows were already written). */
lvm_status lvm_csv_close(lvm_csv *w);

/* ---- Reading ----------------------------------------------------------- */

/* A draws file in memory. */
typedef struct lvm_csv_table {
  char *path;
  size_t n_cols;
  char **names;
  size_t n_rows;
  double *values;   /* n_rows x n_cols, row-major */
  size_t n_settings;
  lvm_kv *settings; /* "# key = value" comment lines before the header, in
                       order (keys and values trimmed; owned by the table) */
  size_t n_warmup_dropped; /* rows before "# Adaptation terminated" in a file
                              written with save_warmup = 1 (not in values) */
} lvm_csv_table;

/* Read a CmdStan CSV file: `#` lines anywhere are comments; the first other
 * line is the header; every other line is a row of numbers (strtod syntax,
 * so inf/nan are read too).  With `# save_warmup = 1` (or true) in the
 * settings, the rows before "# Adaptation terminated" are warmup and are
 * dropped.  Errors are written to `err` (may be NULL: stderr) as
 * `draws.csv:57: error: row has 9 values but the header has 10 columns`,
 * and return LVM_EIO (unreadable) or LVM_EDATA (malformed). */
lvm_status lvm_csv_read(const char *path, FILE *err, lvm_csv_table **out);
void lvm_csv_table_free(lvm_csv_table *t);
/* The value of setting `key`, or NULL. */
const char *lvm_csv_table_setting(const lvm_csv_table *t, const char *key);

#ifdef __cplusplus
}
#endif
#endif
