/* csv_write — CPU time per row of the CmdStan CSV writer (lvm/csv.h): 20,000
 * rows of lp__ and 10 random doubles to a temporary file (formatting, the
 * batched writes, no reading).  Run: meson test -C build --benchmark
 * --suite runtime, or build/bench/runtime/bench_csv_write. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "lvm/csv.h"

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void) {
  enum { ROWS = 20000, COLS = 11 };
  char path[] = "/tmp/lvm_bench_csv_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return 1;
  close(fd);
  lvm_csv_names *nm = lvm_csv_names_alloc();
  size_t d = COLS - 1;
  lvm_csv_names_add(nm, "lp__", 0, NULL, 0);
  lvm_csv_names_add(nm, "theta", 1, &d, 0);
  lvm_csv *w = lvm_csv_open(path);
  if (!nm || !w || lvm_csv_header(w, nm) != LVM_OK) return 1;
  double v[COLS];
  uint64_t s = 1;
  double t0 = cpu_seconds();
  for (int r = 0; r < ROWS; r++) {
    for (int i = 0; i < COLS; i++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      v[i] = (double)(s >> 11) * 1e-13 - 300;
    }
    if (lvm_csv_row(w, v) != LVM_OK) return 1;
  }
  int st = lvm_csv_close(w);
  double t1 = cpu_seconds();
  printf("csv_write: %d rows of %d random doubles, %.2f us CPU per row\n", ROWS, COLS,
         (t1 - t0) / ROWS * 1e6);
  lvm_csv_names_free(nm);
  unlink(path);
  return st == LVM_OK ? 0 : 1;
}
