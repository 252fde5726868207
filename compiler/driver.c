/* lvmc — the command-line driver.
 *
 *   lvmc check FILE [--data DATA.json] [--set NAME=VALUE]...
 *   lvmc explain FILE [--data DATA.json] [--set NAME=VALUE]...
 *   lvmc FILE --dump=ast|typed|graph
 *   lvmc build FILE -o EXE [--backend=llvm|c] [--emit-llvm F] [--emit-c F] [-g]
 *   lvmc run FILE [--] ARGS...     (the executable's commands, JIT-compiled)
 *
 * Exit status: 0 success, 1 errors in the model or data, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "compile.h"
#include "explain.h"
#include "lvm/diag.h"

#ifndef LVMC_VERSION
#define LVMC_VERSION "0.1.0"
#endif

static const char usage_text[] =
    "usage: lvmc COMMAND [OPTIONS] FILE\n"
    "\n"
    "Commands:\n"
    "  check FILE        parse and check a model; report every error\n"
    "  explain FILE      describe the model graph: roles, types, plates,\n"
    "                    parents and children, and each statement's log-density term\n"
    "  build FILE -o EXE compile the model to a standalone executable (Gibbs sampling,\n"
    "                    CAVI): EXE sample|vi|simulate|summary ... (EXE --help)\n"
    "  run FILE [--] ARGS...\n"
    "                    compile the model in memory and run it as the executable\n"
    "                    would run with ARGS: lvmc run gmm.lvm sample --data d.json\n"
    "  summary CSV...    summarise CmdStan CSV draws (Mean, MCSE, StdDev, quantiles,\n"
    "                    ESS_bulk, ESS_tail, R_hat), one file per chain\n"
    "\n"
    "FILE is a .lvm model, or '-' for standard input.\n"
    "\n"
    "Options:\n"
    "  --data FILE       data file (CmdStan JSON): sizes become exact, the data are\n"
    "                    checked, and roles become observed / partly observed / latent\n"
    "  --set NAME=VALUE  set a data value (repeatable), e.g. --set K=5\n"
    "  --dump=STAGE      print an intermediate form and stop: ast, typed, graph (DOT),\n"
    "                    ir (the loop IR of the generated kernels)\n"
    "  -o FILE           build: the executable to write\n"
    "  --backend=B       build: llvm (default: LLVM, in process) or c (the system C\n"
    "                    compiler); both give the same draws\n"
    "  --emit-llvm FILE  build: also write the LLVM IR ('-': standard output)\n"
    "  --emit-c FILE     build: also write the generated C source\n"
    "  -g                build, run: debug information (backtraces name the model's lines)\n"
    "  -v, --verbose     build: print the linker / C compiler command\n"
    "  --color=WHEN      colour diagnostics: auto (default), always, never\n"
    "  -h, --help        this help\n"
    "  --version         print the version\n"
    "\n"
    "Exit status: 0 success, 1 errors in the model or data, 2 usage errors.\n";

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "lvmc: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'lvmc --help'.\n");
  return 2;
}

static char *read_all(FILE *f, size_t *len) {
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap);
  if (!buf) return NULL;
  for (;;) {
    if (n == cap) {
      if (cap > ((size_t)1 << 30)) {
        free(buf);
        return NULL;
      }
      cap *= 2;
      char *nb = realloc(buf, cap);
      if (!nb) {
        free(buf);
        return NULL;
      }
      buf = nb;
    }
    size_t k = fread(buf + n, 1, cap - n, f);
    n += k;
    if (k == 0) break;
  }
  if (ferror(f)) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

/* The model file ('-': standard input); NULL after a message. */
static char *read_model_file(const char *file, size_t *len) {
  FILE *f = !strcmp(file, "-") ? stdin : fopen(file, "rb");
  if (!f) {
    fprintf(stderr, "lvmc: cannot open '%s': ", file);
    perror(NULL);
    return NULL;
  }
  char *text = read_all(f, len);
  if (f != stdin) fclose(f);
  if (!text) fprintf(stderr, "lvmc: cannot read '%s'\n", file);
  return text;
}

/* lvmc [--color=WHEN] run [-g] MODEL.lvm [--] ARGS... */
static int run_main(int argc, char **argv, int at) {
  const char *color = "auto";
  int debug = 0;
  for (int i = 1; i < at; i++)
    if (!strncmp(argv[i], "--color=", 8)) color = argv[i] + 8;
  int i = at + 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    if (!strcmp(argv[i], "-g")) {
      debug = 1;
    } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      fputs(usage_text, stdout);
      return 0;
    } else {
      return usage_error("unknown option '%s' before the model file of 'run'", argv[i]);
    }
  }
  if (i >= argc) return usage_error("'%s' needs a model file", "run");
  const char *file = argv[i++];
  if (i < argc && !strcmp(argv[i], "--")) i++;
  int use_color = !strcmp(color, "always") ||
                  (!strcmp(color, "auto") && isatty(2) && !getenv("NO_COLOR"));
  size_t len = 0;
  char *text = read_model_file(file, &len);
  if (!text) return 1;
  Compilation *comp = compilation_new();
  if (!comp) return 70;
  int status = 1;
  if (compile_buffer(comp, !strcmp(file, "-") ? "<stdin>" : file, text, len, STAGE_SEMA) == 0) {
    BuildOptions bo = {0};
    bo.debug = debug;
    status = lvmc_run(comp, &bo, argc - i, argv + i, use_color);
  } else {
    diags_render(&comp->diags, stderr, use_color);
    fprintf(stderr, "%d error%s\n", comp->diags.nerrors, comp->diags.nerrors == 1 ? "" : "s");
  }
  compilation_free(comp);
  free(text);
  return status;
}

int main(int argc, char **argv) {
  /* `lvmc [--color=...] summary FILES...` is the runtime's summary command */
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-') {
      if (!strncmp(argv[i], "--color", 7)) continue;
      break;
    }
    if (!strcmp(argv[i], "summary")) return lvm_summary_main(argc - i, argv + i);
    break;
  }
  for (int i = 1; i < argc; i++) {
    if (!strncmp(argv[i], "--color", 7)) continue;
    if (!strcmp(argv[i], "run")) return run_main(argc, argv, i);
    break;
  }
  enum { OPT_DUMP = 256, OPT_VERSION, OPT_COLOR, OPT_DATA, OPT_SET, OPT_EMIT_C, OPT_EMIT_LLVM, OPT_BACKEND };
  static const struct option opts[] = {
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, OPT_VERSION},
      {"dump", required_argument, NULL, OPT_DUMP},
      {"color", required_argument, NULL, OPT_COLOR},
      {"data", required_argument, NULL, OPT_DATA},
      {"set", required_argument, NULL, OPT_SET},
      {"emit-c", required_argument, NULL, OPT_EMIT_C},
      {"emit-llvm", required_argument, NULL, OPT_EMIT_LLVM},
      {"backend", required_argument, NULL, OPT_BACKEND},
      {"verbose", no_argument, NULL, 'v'},
      {NULL, 0, NULL, 0},
  };
  const char *dump = NULL, *data = NULL, *color = "auto", *out = NULL, *emit_c_path = NULL,
             *emit_llvm_path = NULL, *backend = "llvm";
  int verbose = 0, debug = 0;
  char **sets = calloc((size_t)argc + 1, sizeof *sets);
  int nsets = 0;
  if (!sets) return 70;
  const char *positional[3] = {0};
  int npos = 0;
  opterr = 0;
  int c;
  /* '-' keeps the order: positional arguments arrive as 1 */
  while ((c = getopt_long(argc, argv, "-ho:vg", opts, NULL)) != -1) {
    switch (c) {
    case 'h': fputs(usage_text, stdout); free(sets); return 0;
    case OPT_VERSION: printf("lvmc %s\n", LVMC_VERSION); free(sets); return 0;
    case OPT_DUMP: dump = optarg; break;
    case OPT_COLOR: color = optarg; break;
    case OPT_DATA: data = optarg; break;
    case OPT_SET: sets[nsets++] = optarg; break;
    case 'o': out = optarg; break;
    case 'v': verbose = 1; break;
    case OPT_EMIT_C: emit_c_path = optarg; break;
    case OPT_EMIT_LLVM: emit_llvm_path = optarg; break;
    case OPT_BACKEND: backend = optarg; break;
    case 'g': debug = 1; break;
    case 1:
      if (npos < 3) positional[npos] = optarg;
      npos++;
      break;
    case '?':
    default:
      free(sets);
      if (optopt) {
        char o[2] = {(char)optopt, 0};
        return usage_error("unknown or incomplete option '-%s'", o);
      }
      return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  const char *cmd = NULL, *file = NULL;
  if (npos >= 1 && (!strcmp(positional[0], "check") || !strcmp(positional[0], "explain") ||
                    !strcmp(positional[0], "build"))) {
    cmd = positional[0];
    if (npos != 2) {
      free(sets);
      return usage_error("'%s' takes exactly one model file", cmd);
    }
    file = positional[1];
  } else if (npos == 1 && dump) {
    cmd = "check";
    file = positional[0];
  } else if (npos == 0) {
    free(sets);
    fputs(usage_text, stderr);
    return 2;
  } else {
    free(sets);
    return usage_error("unknown command '%s'", positional[0]);
  }
  if (dump && strcmp(dump, "ast") && strcmp(dump, "typed") && strcmp(dump, "graph") &&
      strcmp(dump, "ir")) {
    free(sets);
    return usage_error("--dump takes ast, typed, graph or ir, not '%s'", dump);
  }
  if (!strcmp(cmd, "build") && !out && !emit_c_path && !emit_llvm_path && !dump) {
    free(sets);
    return usage_error("'%s' needs -o EXE (or --emit-llvm FILE, --emit-c FILE)", "build");
  }
  if (strcmp(backend, "llvm") && strcmp(backend, "c")) {
    free(sets);
    return usage_error("--backend takes llvm or c, not '%s'", backend);
  }
  int use_color = !strcmp(color, "always") ||
                  (!strcmp(color, "auto") && isatty(2) && !getenv("NO_COLOR"));
  if (strcmp(color, "always") && strcmp(color, "never") && strcmp(color, "auto")) {
    free(sets);
    return usage_error("--color takes auto, always or never, not '%s'", color);
  }

  size_t len = 0;
  char *text = read_model_file(file, &len);
  if (!text) {
    free(sets);
    return 1;
  }
  Compilation *comp = compilation_new();
  if (!comp) return 70;
  int status = 0;
  if (data || nsets) {
    if (compilation_read_data(comp, data, sets, nsets) != 0) status = 1;
  }
  if (status == 0) {
    Stage stage = dump && !strcmp(dump, "ast") ? STAGE_PARSE : STAGE_SEMA;
    const char *shown = !strcmp(file, "-") ? "<stdin>" : file;
    int errs = compile_buffer(comp, shown, text, len, stage);
    if (errs == 0) {
      if (dump && !strcmp(dump, "ast")) ast_dump(stdout, &comp->prog, false);
      else if (dump && !strcmp(dump, "typed")) dump_typed(stdout, comp);
      else if (dump && !strcmp(dump, "graph")) dump_graph(stdout, comp);
      else if ((dump && !strcmp(dump, "ir")) || !strcmp(cmd, "build")) {
        BuildOptions bo = {!strcmp(cmd, "build") ? out : NULL, emit_c_path, emit_llvm_path,
                           dump && !strcmp(dump, "ir") ? stdout : NULL, verbose,
                           !strcmp(backend, "c") ? BACKEND_C : BACKEND_LLVM, debug};
        if (lvmc_build(comp, &bo) != 0) status = 1;
      } else if (!strcmp(cmd, "explain")) explain_model(stdout, comp);
    } else {
      status = 1;
    }
  }
  diags_render(&comp->diags, stderr, use_color);
  if (comp->diags.nerrors) {
    status = 1;
    fprintf(stderr, "%d error%s\n", comp->diags.nerrors, comp->diags.nerrors == 1 ? "" : "s");
  }
  compilation_free(comp);
  free(text);
  free(sets);
  return status;
}
