/* blas.h — the runtime's entry points into OpenBLAS and LAPACKE, loaded on
 * first use (internal to liblvmrt; see lvm/linalg.h).
 *
 * A compiled model does not link the BLAS: loading OpenBLAS, LAPACKE and
 * what Debian's LAPACKE brings with it (a second liblapack and libblas,
 * libtmglib, libgfortran) cost every process about 5.7 ms of CPU on the
 * benchmark machine (docs/performance.md), and most models never call
 * them.  The first call that needs one dlopens the libraries (once, under
 * pthread_once, so chains on threads may race to it), keeps OpenBLAS to
 * one thread (its idle pool stopped) unless OPENBLAS_NUM_THREADS is set,
 * and fills the table.  A library that cannot be loaded ends the process
 * with a message naming it (an installation problem, not bad input). */
#ifndef LVM_CORE_BLAS_H
#define LVM_CORE_BLAS_H

#include <cblas.h>
#include <lapacke.h>

typedef struct lvm_blas_fns {
  __typeof__(cblas_dtrsv) *dtrsv;
  __typeof__(cblas_dtrmv) *dtrmv;
  __typeof__(cblas_dtrsm) *dtrsm;
  __typeof__(cblas_dtrmm) *dtrmm;
  __typeof__(cblas_dgemv) *dgemv;
  __typeof__(cblas_dgemm) *dgemm;
  __typeof__(cblas_dsyrk) *dsyrk;
  __typeof__(cblas_dger) *dger;
  __typeof__(cblas_ddot) *ddot;
  __typeof__(LAPACKE_dpotrf) *dpotrf;
  __typeof__(LAPACKE_dpotri) *dpotri;
} lvm_blas_fns;

/* The table, the libraries loaded by the first call. */
const lvm_blas_fns *lvm_blas(void);

#endif
