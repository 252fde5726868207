/* build.c — `lvmc build`: the plan lowered to the IR, printed as C, and
 * compiled with the system C compiler against liblvmrt.
 *
 * The runtime is found (in this order) from the environment variables
 * LVMC_RUNTIME_INCLUDE and LVMC_RUNTIME_LIB, the build tree lvmc was built
 * in, and the installation prefix.  The executable is written to a
 * temporary name and renamed, so it appears whole or not at all. */
#include "build.h"

#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conj.h"
#include "emit_c.h"
#include "lower.h"

extern char **environ;

static int exists(const char *p) {
  struct stat s;
  return p && stat(p, &s) == 0;
}

static void runtime_paths(const char **inc, const char **lib) {
  *inc = getenv("LVMC_RUNTIME_INCLUDE");
  *lib = getenv("LVMC_RUNTIME_LIB");
#ifdef LVMC_BUILD_RT_LIB
  if (!*lib && exists(LVMC_BUILD_RT_LIB)) {
    *lib = LVMC_BUILD_RT_LIB;
    if (!*inc) *inc = LVMC_BUILD_RT_INCLUDE;
  }
#endif
#ifdef LVMC_INSTALL_RT_LIB
  if (!*lib) *lib = LVMC_INSTALL_RT_LIB;
  if (!*inc) *inc = LVMC_INSTALL_RT_INCLUDE;
#endif
}

static int run(char *const argv[], int verbose) {
  if (verbose) {
    for (int i = 0; argv[i]; i++) fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
    fputc('\n', stderr);
  }
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
  if (rc != 0) {
    fprintf(stderr, "lvmc: cannot run the C compiler '%s': %s\n", argv[0], strerror(rc));
    return -1;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int lvmc_build(Compilation *c, const BuildOptions *o) {
  Plan *plan = conj_analyse(c);
  IrModule *m = lower_model(c, plan);
  if (!m) return 1;
  if (ir_check(m, stderr) != 0) ICE("the IR of model '%s' violates its invariants", m->model);
  if (o->dump_ir) ir_dump(o->dump_ir, m);
  if (o->emit_c) {
    FILE *f = fopen(o->emit_c, "w");
    if (!f || emit_c(f, m, &c->diags) != 0 || fclose(f) != 0) {
      fprintf(stderr, "lvmc: cannot write '%s': %s\n", o->emit_c, strerror(errno));
      return 1;
    }
  }
  if (!o->out) return 0;
  /* the C file: next to nothing the user owns */
  char csrc[] = "/tmp/lvmc-XXXXXX.c";
  int fd = mkstemps(csrc, 2);
  if (fd < 0) {
    fprintf(stderr, "lvmc: cannot create a temporary file: %s\n", strerror(errno));
    return 1;
  }
  FILE *f = fdopen(fd, "w");
  if (!f || emit_c(f, m, &c->diags) != 0 || fclose(f) != 0) {
    fprintf(stderr, "lvmc: cannot write the generated C: %s\n", strerror(errno));
    unlink(csrc);
    return 1;
  }
  const char *inc, *lib;
  runtime_paths(&inc, &lib);
  if (!lib || !exists(lib)) {
    fprintf(stderr, "lvmc: cannot find the runtime library liblvmrt.a (looked at %s); set LVMC_RUNTIME_LIB\n",
            lib ? lib : "nothing");
    unlink(csrc);
    return 1;
  }
  char *tmp_out = malloc(strlen(o->out) + 16);
  if (!tmp_out) return 1;
  sprintf(tmp_out, "%s.tmp%ld", o->out, (long)getpid());
  const char *cc = getenv("CC");
  if (!cc || !*cc) cc = "cc";
  char *incflag = malloc(strlen(inc) + 3);
  sprintf(incflag, "-I%s", inc);
  /* an lvmc built with sanitizers links the runtime built with them: the
   * generated program must be built the same way (the test suite's ASan
   * build then checks generated code too) */
#if defined(__SANITIZE_ADDRESS__)
  const char *san = "-fsanitize=address,undefined";
#else
  const char *san = "-fno-sanitize=all";
#endif
  char *argv[] = {(char *)cc, "-std=c17", "-O2", "-ffp-contract=off", "-fno-math-errno", "-w",
                  (char *)san, incflag, csrc, (char *)lib, "-ljansson", "-lopenblas", "-llapacke",
                  "-lm", "-lpthread", "-o", tmp_out, NULL};
  int rc = run(argv, o->verbose);
  unlink(csrc);
  free(incflag);
  if (rc != 0) {
    unlink(tmp_out);
    free(tmp_out);
    fprintf(stderr, "lvmc: the C compiler failed (this is a bug in lvmc; --emit-c shows the code)\n");
    return 1;
  }
  if (rename(tmp_out, o->out) != 0) {
    fprintf(stderr, "lvmc: cannot write '%s': %s\n", o->out, strerror(errno));
    unlink(tmp_out);
    free(tmp_out);
    return 1;
  }
  free(tmp_out);
  return 0;
}
