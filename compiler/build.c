/* build.c — `lvmc build`: the plan lowered to the IR, compiled by LLVM to
 * an object file (or printed as C and compiled with the system C
 * compiler: --backend=c) and linked with liblvmrt; `lvmc run`: the same
 * module compiled in memory (ORC LLJIT) and run.
 *
 * The runtime is found (in this order) from the environment variables
 * LVMC_RUNTIME_INCLUDE and LVMC_RUNTIME_LIB, the build tree lvmc was built
 * in, and the installation prefix.  The executable is written to a
 * temporary name and renamed, so it appears whole or not at all. */
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conj.h"
#include "emit_c.h"
#include "emit_llvm.h"
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
    fprintf(stderr, "lvmc: cannot run '%s': %s\n", argv[0], strerror(rc));
    return -1;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The kernels' IR, checked; NULL after errors in the model. */
static IrModule *lower(Compilation *c) {
  Plan *plan = conj_analyse(c);
  IrModule *m = lower_model(c, plan);
  if (!m) return NULL;
  if (ir_check(m, stderr) != 0) ICE("the IR of model '%s' violates its invariants", m->model);
  return m;
}

/* A temporary file name with the given suffix, created empty; NULL after a
 * message. */
static char *temp_file(const char *suffix) {
  char *p = malloc(32);
  if (!p) return NULL;
  snprintf(p, 32, "/tmp/lvmc-XXXXXX%s", suffix);
  int fd = mkstemps(p, (int)strlen(suffix));
  if (fd < 0) {
    fprintf(stderr, "lvmc: cannot create a temporary file: %s\n", strerror(errno));
    free(p);
    return NULL;
  }
  close(fd);
  return p;
}

/* Compile (a .c) or link (a .o) `input` with the runtime into o->out,
 * through a temporary name renamed at the end. */
static int link_executable(const char *input, const BuildOptions *o) {
  const char *inc, *lib;
  runtime_paths(&inc, &lib);
  if (!lib || !exists(lib)) {
    fprintf(stderr, "lvmc: cannot find the runtime library liblvmrt.a (looked at %s); set LVMC_RUNTIME_LIB\n",
            lib ? lib : "nothing");
    return 1;
  }
  char *tmp_out = malloc(strlen(o->out) + 32);
  char *incflag = malloc(strlen(inc ? inc : "") + 3);
  if (!tmp_out || !incflag) {
    free(tmp_out);
    free(incflag);
    return 1;
  }
  sprintf(tmp_out, "%s.tmp%ld", o->out, (long)getpid());
  sprintf(incflag, "-I%s", inc ? inc : "");
  /* a directory that cannot be written is the user's problem, not a bug */
  int probe = open(tmp_out, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  if (probe < 0) {
    fprintf(stderr, "lvmc: cannot write '%s': %s\n", o->out, strerror(errno));
    free(tmp_out);
    free(incflag);
    return 1;
  }
  close(probe);
  const char *cc = getenv("CC");
  if (!cc || !*cc) cc = "cc";
  /* an lvmc built with sanitizers links the runtime built with them: the
   * generated program must be built the same way (the test suite's ASan
   * build then checks generated code too) */
#if defined(__SANITIZE_ADDRESS__)
  const char *san = "-fsanitize=address,undefined";
#else
  const char *san = "-fno-sanitize=all";
#endif
  bool is_c = o->backend == BACKEND_C;
  const char *argv[32];
  int n = 0;
  argv[n++] = cc;
  if (is_c) {
    const char *cflags[] = {"-std=c17", "-O2", "-ffp-contract=off", "-fno-math-errno", "-w", incflag};
    for (size_t i = 0; i < sizeof cflags / sizeof cflags[0]; i++) argv[n++] = cflags[i];
  }
  if (o->debug) argv[n++] = "-g";
  argv[n++] = san;
  argv[n++] = input;
  const char *libs[] = {lib, "-ljansson", "-lsimdjson", "-lstdc++", "-ldl", "-lm", "-lpthread", "-o", tmp_out};
  for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) argv[n++] = libs[i];
  argv[n] = NULL;
  int rc = run((char *const *)argv, o->verbose);
  free(incflag);
  if (rc != 0) {
    unlink(tmp_out);
    free(tmp_out);
    fprintf(stderr, "lvmc: the %s failed (this is a bug in lvmc; %s shows the code)\n",
            is_c ? "C compiler" : "linker", is_c ? "--emit-c" : "--emit-llvm");
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

static int write_c(const char *path, const IrModule *m, Compilation *c) {
  FILE *f = fopen(path, "w");
  if (!f || emit_c(f, m, &c->diags) != 0 || fclose(f) != 0) {
    fprintf(stderr, "lvmc: cannot write '%s': %s\n", path, strerror(errno));
    return 1;
  }
  return 0;
}

int lvmc_build(Compilation *c, const BuildOptions *o) {
  IrModule *m = lower(c);
  if (!m) return 1;
  if (o->dump_ir) ir_dump(o->dump_ir, m);
  if (o->emit_c && write_c(o->emit_c, m, c) != 0) return 1;
  LlvmOptions lo = {o->debug, true};
  if (o->emit_llvm) {
    FILE *f = !strcmp(o->emit_llvm, "-") ? stdout : fopen(o->emit_llvm, "w");
    if (!f) {
      fprintf(stderr, "lvmc: cannot write '%s': %s\n", o->emit_llvm, strerror(errno));
      return 1;
    }
    int rc = llvm_emit_ir(f, m, &c->diags, &lo);
    if ((f == stdout ? fflush(f) : fclose(f)) != 0) rc = 1;
    if (rc) return 1;
  }
  if (!o->out) return 0;
  /* the intermediate file: next to nothing the user owns */
  char *tmp = temp_file(o->backend == BACKEND_C ? ".c" : ".o");
  if (!tmp) return 1;
  int rc = o->backend == BACKEND_C ? write_c(tmp, m, c) : llvm_emit_object(tmp, m, &c->diags, &lo);
  if (rc == 0) rc = link_executable(tmp, o);
  unlink(tmp);
  free(tmp);
  return rc;
}

int lvmc_run(Compilation *c, const BuildOptions *o, int nargs, char **args, int color) {
  IrModule *m = lower(c);
  diags_render(&c->diags, stderr, color);
  if (!m || c->diags.nerrors) {
    if (c->diags.nerrors)
      fprintf(stderr, "%d error%s\n", c->diags.nerrors, c->diags.nerrors == 1 ? "" : "s");
    return 1;
  }
  char **argv = calloc((size_t)nargs + 2, sizeof *argv);
  if (!argv) return 1;
  argv[0] = (char *)m->model;
  for (int i = 0; i < nargs; i++) argv[i + 1] = args[i];
  LlvmOptions lo = {o->debug, true};
  fflush(stderr);
  int rc = llvm_run(m, &c->diags, &lo, nargs + 1, argv);
  free(argv);
  return rc < 0 ? 1 : rc;
}
