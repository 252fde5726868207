/* lvm/data.h — data files in (CmdStan JSON), `--set NAME=VALUE`, and the
 * checker that compares the data with a model's declarations.
 *
 * Format (as CmdStan reads it): one JSON object from names to numbers or
 * nested arrays, row-major (`"x": [[1, 2], [3, 4]]` is x[1,1]=1, x[1,2]=2,
 * x[2,1]=3, ...).  A number without decimal point or exponent is an integer;
 * the strings "Inf", "-Inf", "NaN" (also "+Inf", "Infinity", "-Infinity")
 * are the non-finite reals; `null` is a missing element; `[]` an empty array.
 *
 * Errors in the user's input (a malformed file, a ragged array, a value
 * outside its domain) are not reported through the error hook of status.h:
 * they are collected, all of them, as complete lines in an lvm_msgs list
 * (`data.json: error: 'x': element x[3,2] is -2.5 but x is declared nat (a
 * non-negative integer)`), and the function returns LVM_EDATA.  Passing NULL
 * for the list prints each message to stderr as it is found.  Programming
 * errors (NULL arguments) and out-of-memory go through LVM_ERROR as usual.
 *
 * Nothing here keeps global state; distinct lvm_data objects may be used
 * from distinct threads.
 */
#ifndef LVM_DATA_H
#define LVM_DATA_H

#include <stddef.h>
#include <stdio.h>

#include "lvm/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Messages ---------------------------------------------------------- */

typedef enum lvm_msg_level {
  LVM_MSG_ERROR = 0,
  LVM_MSG_WARNING,
  LVM_MSG_NOTE
} lvm_msg_level;

/* A list of complete message lines ("data.json: error: ..."), in the order
 * found, without trailing newlines. */
typedef struct lvm_msgs {
  size_t n, cap;
  char **text;
  lvm_msg_level *level;
  size_t n_errors, n_warnings;
  FILE *echo; /* if not NULL, each message is also printed here when added */
} lvm_msgs;

lvm_msgs *lvm_msgs_alloc(void);
void lvm_msgs_free(lvm_msgs *m);
/* Forget all messages (keeps `echo`). */
void lvm_msgs_clear(lvm_msgs *m);
/* Add one message: "<source>: <level>: <formatted text>"; source may be NULL
 * (then the line starts with the level).  A NULL list prints to stderr. */
lvm_status lvm_msgs_add(lvm_msgs *m, lvm_msg_level level, const char *source,
                        const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Print every message, one a line. */
void lvm_msgs_print(const lvm_msgs *m, FILE *f);

/* ---- Domains ----------------------------------------------------------- */

/* The value domains of the language (language.md, section 3). */
typedef enum lvm_domain {
  LVM_DOMAIN_REAL = 0, /* a real number (+-Inf allowed, NaN not) */
  LVM_DOMAIN_POS,      /* 0 < x < Inf */
  LVM_DOMAIN_UNIT,     /* 0 < x < 1 */
  LVM_DOMAIN_INT,      /* an integer */
  LVM_DOMAIN_NAT,      /* an integer >= 0 */
  LVM_DOMAIN_BIN,      /* 0 or 1 */
  LVM_DOMAIN_SPIN,     /* -1 or +1 */
  LVM_DOMAIN_CAT,      /* an integer 1..K (domain argument K) */
  LVM_DOMAIN_SIMPLEX,  /* K non-negative numbers summing to 1 (argument K) */
  LVM_DOMAIN_VEC,      /* a D-vector of finite reals (argument D) */
  LVM_DOMAIN_SPD       /* a D x D symmetric positive definite matrix (D) */
} lvm_domain;

/* "nat", "cat", "simplex", ... */
const char *lvm_domain_name(lvm_domain d);
/* 1 for int, nat, bin, spin, cat: values must be written as JSON integers. */
int lvm_domain_is_discrete(lvm_domain d);
/* Number of trailing dimensions the domain adds to a declared array shape:
 * 1 for simplex(K) and vec(D), 2 for spd(D), 0 otherwise. */
int lvm_domain_ndim(lvm_domain d);

/* ---- Data -------------------------------------------------------------- */

#define LVM_DATA_MAX_DIMS 8

/* One variable as read. */
typedef struct lvm_data_var {
  char *name;
  char *source;    /* the file it came from, or "--set" */
  int ndim;        /* 0 for a scalar */
  size_t dims[LVM_DATA_MAX_DIMS];
  size_t size;     /* product of dims (1 for a scalar, 0 for an empty array) */
  double *values;  /* size values, row-major; a missing element holds NaN */
  int is_integer;  /* every non-missing element was written as an integer */
  size_t first_real; /* index of the first element written as a real number
                        (with '.', exponent, or as "Inf"/"NaN"); (size_t)-1 if
                        none */
  unsigned char *missing; /* NULL when nothing is missing; else size flags,
                             1 where the file has null */
} lvm_data_var;

typedef struct lvm_data {
  size_t n_vars, cap;
  lvm_data_var *vars;
  char *path; /* the last file read, NULL if none */
} lvm_data;

lvm_data *lvm_data_alloc(void);
void lvm_data_free(lvm_data *d);

/* Read a data file and add its variables (a name already present is
 * replaced).  Errors: `data.json: cannot open: No such file or directory`,
 * `data.json:3:7: error: <parser message>` for malformed JSON, and one line
 * per problem in a variable (ragged arrays, strings other than Inf/-Inf/NaN,
 * booleans, objects).  A variable with a problem is not added.  Returns
 * LVM_OK, LVM_EIO (unreadable file), LVM_EDATA or LVM_ENOMEM. */
lvm_status lvm_data_read_file(lvm_data *d, const char *path, lvm_msgs *msgs);
/* The same from a string; `source` names it in messages. */
lvm_status lvm_data_read_string(lvm_data *d, const char *json,
                                const char *source, lvm_msgs *msgs);

/* Apply `--set NAME=VALUE`: VALUE is a JSON value (a number, "Inf", a nested
 * array); Inf, -Inf, NaN may be written without quotes.  Replaces NAME if it
 * was read from a file.  Messages use the source "--set". */
lvm_status lvm_data_set(lvm_data *d, const char *assignment, lvm_msgs *msgs);

/* Add (or replace) a variable, copying the arrays; missing may be NULL.
 * For code that builds a data set (simulate) before lvm_data_write. */
lvm_status lvm_data_add(lvm_data *d, const char *name, int ndim,
                        const size_t *dims, const double *values,
                        int is_integer, const unsigned char *missing);

/* The variable called `name`, or NULL. */
const lvm_data_var *lvm_data_find(const lvm_data *d, const char *name);

/* Write every variable to `path` in the same format (via lvm/jsonout.h, so
 * the file appears whole or not at all).  Integer variables are written
 * without decimal point; missing elements as null. */
lvm_status lvm_data_write(const lvm_data *d, const char *path);

/* ---- Checking data against the model ----------------------------------- */

/* A dimension the checker does not check (a size not known yet). */
#define LVM_DIM_ANY ((size_t)-1)

enum {
  LVM_SPEC_REQUIRED = 1,    /* must be given (no default) */
  LVM_SPEC_MISSING_OK = 2   /* may contain null elements (a modelled
                               variable that is partly observed) */
};

/* One declared variable, as the generated code describes it.  The full
 * shape the data must have is `dims[0..ndim-1]` followed by the domain's own
 * dimensions: [K] for simplex(K), [D] for vec(D), [D, D] for spd(D).  So
 * `p : simplex(3)[N]` is {"p", LVM_DOMAIN_SIMPLEX, 3, 1, {N}, ...} and the
 * data holds an N x 3 array.  Any size may be LVM_DIM_ANY. */
typedef struct lvm_data_spec {
  const char *name;
  lvm_domain domain;
  size_t domain_arg; /* K for cat(K) and simplex(K), D for vec(D) and spd(D);
                        0 otherwise; 0 or LVM_DIM_ANY: not known yet (not
                        checked) */
  int ndim;          /* array dimensions of the declaration (0: one value) */
  size_t dims[LVM_DATA_MAX_DIMS];
  int flags;         /* LVM_SPEC_REQUIRED | LVM_SPEC_MISSING_OK; 0 means
                        optional (it has a default) and given in full */
} lvm_data_spec;

/* Check every spec against `d` and report all problems: a required variable
 * that is absent, a shape that differs, nulls where not allowed, integers
 * written as reals, every element outside its domain (at most
 * LVM_DATA_MAX_ELEMENT_ERRORS lines per variable, then one line with the
 * count of the others), simplex rows not summing to 1 within 1e-8, matrices
 * not symmetric (within 1e-8 relative) or not positive definite (Cholesky).
 * Names in the data that no spec mentions give a warning.  Returns LVM_OK or
 * LVM_EDATA. */
#define LVM_DATA_MAX_ELEMENT_ERRORS 10
lvm_status lvm_data_check(const lvm_data *d, const lvm_data_spec *specs,
                          size_t n_specs, lvm_msgs *msgs);

#ifdef __cplusplus
}
#endif
#endif
