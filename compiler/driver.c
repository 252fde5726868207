/* lvmc — the command-line driver.
 *
 *   lvmc check FILE [--data DATA.json] [--set NAME=VALUE]...
 *   lvmc explain FILE [--data DATA.json] [--set NAME=VALUE]...
 *   lvmc FILE --dump=ast|typed|graph
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
    "  build FILE -o EXE compile the model to a standalone executable (Gibbs sampler):\n"
    "                    EXE sample|simulate|summary ... (EXE --help)\n"
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
    "  --emit-c FILE     build: also write the generated C source\n"
    "  -v, --verbose     build: print the C compiler command\n"
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
  enum { OPT_DUMP = 256, OPT_VERSION, OPT_COLOR, OPT_DATA, OPT_SET, OPT_EMIT_C };
  static const struct option opts[] = {
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, OPT_VERSION},
      {"dump", required_argument, NULL, OPT_DUMP},
      {"color", required_argument, NULL, OPT_COLOR},
      {"data", required_argument, NULL, OPT_DATA},
      {"set", required_argument, NULL, OPT_SET},
      {"emit-c", required_argument, NULL, OPT_EMIT_C},
      {"verbose", no_argument, NULL, 'v'},
      {NULL, 0, NULL, 0},
  };
  const char *dump = NULL, *data = NULL, *color = "auto", *out = NULL, *emit_c_path = NULL;
  int verbose = 0;
  char **sets = calloc((size_t)argc + 1, sizeof *sets);
  int nsets = 0;
  if (!sets) return 70;
  const char *positional[3] = {0};
  int npos = 0;
  opterr = 0;
  int c;
  /* '-' keeps the order: positional arguments arrive as 1 */
  while ((c = getopt_long(argc, argv, "-ho:v", opts, NULL)) != -1) {
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
  if (!strcmp(cmd, "build") && !out && !emit_c_path && !dump) {
    free(sets);
    return usage_error("'%s' needs -o EXE (or --emit-c FILE)", "build");
  }
  int use_color = !strcmp(color, "always") ||
                  (!strcmp(color, "auto") && isatty(2) && !getenv("NO_COLOR"));
  if (strcmp(color, "always") && strcmp(color, "never") && strcmp(color, "auto")) {
    free(sets);
    return usage_error("--color takes auto, always or never, not '%s'", color);
  }

  FILE *f = !strcmp(file, "-") ? stdin : fopen(file, "rb");
  if (!f) {
    fprintf(stderr, "lvmc: cannot open '%s': ", file);
    perror(NULL);
    free(sets);
    return 1;
  }
  size_t len = 0;
  char *text = read_all(f, &len);
  if (f != stdin) fclose(f);
  if (!text) {
    fprintf(stderr, "lvmc: cannot read '%s'\n", file);
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
        BuildOptions bo = {!strcmp(cmd, "build") ? out : NULL, emit_c_path,
                           dump && !strcmp(dump, "ir") ? stdout : NULL, verbose};
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
