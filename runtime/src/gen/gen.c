/* Support for generated code (see lvm/gen.h). */
#include "lvm/gen.h"
#include "lvm/linalg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double *lvm_gen_scratch(lvm_vars *st, int id, size_t n) {
  if (id < 0) return NULL;
  if (id >= st->n_scratch) {
    int m = id + 16;
    double **s = realloc(st->scratch, sizeof *s * (size_t)m);
    if (!s) return NULL;
    st->scratch = s;
    size_t *l = realloc(st->scratch_len, sizeof *l * (size_t)m);
    if (!l) return NULL;
    st->scratch_len = l;
    for (int i = st->n_scratch; i < m; i++) {
      st->scratch[i] = NULL;
      st->scratch_len[i] = 0;
    }
    st->n_scratch = m;
  }
  if (st->scratch_len[id] < n || !st->scratch[id]) {
    double *b = realloc(st->scratch[id], sizeof(double) * (n ? n : 1));
    if (!b) return NULL;
    st->scratch[id] = b;
    st->scratch_len[id] = n;
  }
  return st->scratch[id];
}

int lvm_gen_fail(lvm_vars *st, const char *where, const char *what, int status) {
  snprintf(st->error, sizeof st->error, "%s: %s (%s)", where, what, lvm_strerror(status));
  return status;
}

double lvm_gen_log_det(const double *A, int64_t n) {
  if (n < 1) return NAN;
  double small[64];
  size_t nn = (size_t)n * (size_t)n;
  double *L = nn <= 64 ? small : malloc(sizeof(double) * nn);
  if (!L) return NAN;
  memcpy(L, A, sizeof(double) * nn);
  double r = lvm_linalg_cholesky(L, (size_t)n) == LVM_OK ? lvm_linalg_cholesky_logdet(L, (size_t)n) : NAN;
  if (L != small) free(L);
  return r;
}
