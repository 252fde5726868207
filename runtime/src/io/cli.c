/* Command line of generated executables, the chain pool and SIGINT
 * (see lvm/cli.h). */
#include "lvm/cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io_util.h"

/* ---- Commands and options ---------------------------------------------- */

#define CMD(c) (1u << (c))
#define MODEL_CMDS                                                             \
  (CMD(LVM_CMD_SAMPLE) | CMD(LVM_CMD_VI) | CMD(LVM_CMD_LEARN) |                \
   CMD(LVM_CMD_INFER) | CMD(LVM_CMD_SIMULATE))
#define ITERATIVE_CMDS (CMD(LVM_CMD_VI) | CMD(LVM_CMD_LEARN) | CMD(LVM_CMD_INFER))

static const struct {
  const char *name, *help;
} commands[] = {
    [LVM_CMD_SAMPLE] = {"sample", "draw from the posterior by MCMC; one CSV file per chain"},
    [LVM_CMD_VI] = {"vi", "fit a variational approximation (CAVI); write its summaries"},
    [LVM_CMD_LEARN] = {"learn", "estimate the point parameters (EM, stochastic ML)"},
    [LVM_CMD_INFER] = {"infer", "marginals of the latent variables given the data"},
    [LVM_CMD_SIMULATE] = {"simulate", "draw a data set from the model; write it as JSON"},
    [LVM_CMD_SUMMARY] = {"summary", "summarise CSV draws files (R-hat, ESS, quantiles)"},
};
#define N_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

/* One table for getopt, help and validation.  `commands` says which
 * subcommands take the option; adding an option is one line here plus a
 * case in apply_option. */
typedef struct optdef {
  const char *name;
  int has_arg;
  unsigned bit;      /* LVM_OPT_* */
  unsigned commands; /* CMD() mask */
  const char *arg;   /* metavariable */
  const char *help;
} optdef;

static const optdef options[] = {
    {"data", 1, LVM_OPT_DATA, MODEL_CMDS, "FILE", "data file (CmdStan JSON)"},
    {"set", 1, LVM_OPT_SET, MODEL_CMDS, "NAME=VALUE",
     "set a data value (repeatable; overrides the data file)"},
    {"chains", 1, LVM_OPT_CHAINS,
     CMD(LVM_CMD_SAMPLE) | CMD(LVM_CMD_LEARN) | CMD(LVM_CMD_INFER), "N",
     "number of chains (default 4)"},
    {"warmup", 1, LVM_OPT_WARMUP,
     CMD(LVM_CMD_SAMPLE) | CMD(LVM_CMD_LEARN) | CMD(LVM_CMD_INFER), "N",
     "warmup iterations per chain (default 1000)"},
    {"iter", 1, LVM_OPT_ITER,
     CMD(LVM_CMD_SAMPLE) | CMD(LVM_CMD_LEARN) | CMD(LVM_CMD_INFER), "N",
     "iterations after warmup per chain (default 1000)"},
    {"thin", 1, LVM_OPT_THIN, CMD(LVM_CMD_SAMPLE) | CMD(LVM_CMD_INFER), "N",
     "keep every N-th draw (default 1)"},
    {"seed", 1, LVM_OPT_SEED, MODEL_CMDS, "N",
     "random seed, 0 .. 2^64-1 (default " "20240611" ")"},
    {"out", 1, LVM_OPT_OUT, MODEL_CMDS, "FILE",
     "output file (sample, N chains: d.csv -> d_1.csv .. d_N.csv)"},
    {"init", 1, LVM_OPT_INIT, MODEL_CMDS & ~CMD(LVM_CMD_SIMULATE), "FILE",
     "initial values (JSON, like a data file)"},
    {"threads", 1, LVM_OPT_THREADS, MODEL_CMDS, "N",
     "worker threads (default min(chains, processors))"},
    {"quiet", 0, LVM_OPT_QUIET, MODEL_CMDS, NULL, "no progress output"},
    {"exclude", 1, LVM_OPT_EXCLUDE, CMD(LVM_CMD_SAMPLE) | CMD(LVM_CMD_VI), "NAME",
     "leave variable NAME out of the output (repeatable), e.g. a large latent array"},
    {"tol", 1, LVM_OPT_TOL, ITERATIVE_CMDS, "X",
     "convergence tolerance: stop when the relative change is below X (default 1e-8 for vi, 1e-6 otherwise; 0: run --max-iter iterations)"},
    {"max-iter", 1, LVM_OPT_MAX_ITER, ITERATIVE_CMDS, "N",
     "maximum number of iterations (default 1000)"},
    {"restarts", 1, LVM_OPT_RESTARTS, ITERATIVE_CMDS, "N",
     "independent restarts; the best is kept (default 1)"},
    {"trace", 1, LVM_OPT_TRACE, ITERATIVE_CMDS, "FILE",
     "write the objective at every iteration to FILE (CSV)"},
    {"check-grad", 0, LVM_OPT_CHECK_GRAD, CMD(LVM_CMD_VI), NULL,
     "after convergence, check by finite differences that the ELBO's gradient vanishes (slow; tests)"},
    {"help", 0, 0, MODEL_CMDS, NULL, "this help"},
};
#define N_OPTIONS ((int)(sizeof options / sizeof options[0]))

const char *lvm_cli_command_name(lvm_command cmd) {
  if (cmd <= LVM_CMD_NONE || (int)cmd >= N_COMMANDS) return NULL;
  return commands[cmd].name;
}

lvm_cli *lvm_cli_alloc(void) {
  lvm_cli *c = calloc(1, sizeof *c);
  if (!c) lvm_error("cannot allocate the command line", __FILE__, __LINE__, LVM_ENOMEM);
  return c;
}

static void free_settings(lvm_cli *c) {
  for (size_t i = 0; i < c->n_settings; i++) {
    free((char *)c->settings[i].key);
    free((char *)c->settings[i].value);
  }
  free(c->settings);
  c->settings = NULL;
  c->n_settings = 0;
}

void lvm_cli_free(lvm_cli *c) {
  if (!c) return;
  free(c->sets);
  free(c->excludes);
  free_settings(c);
  free(c);
}

int lvm_cli_nproc(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > INT_MAX ? INT_MAX : (int)n;
}

int lvm_cli_exit_code(lvm_status s) {
  switch (s) {
  case LVM_OK: return 0;
  case LVM_EUSAGE: return 2;
  case LVM_EINTR: return 130;
  default: return 1;
  }
}

static const char *base_name(const char *p) {
  const char *s = p ? strrchr(p, '/') : NULL;
  return s ? s + 1 : p ? p : "model";
}

/* Levenshtein distance, for "did you mean". */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 40 || lb > 40) return 99;
  size_t d[41][41];
  for (size_t i = 0; i <= la; i++) d[i][0] = i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
      d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
  return d[la][lb];
}

static void general_usage(FILE *f, const char *prog) {
  fprintf(f, "usage: %s COMMAND [options]\n\ncommands:\n", prog);
  for (int k = 1; k < N_COMMANDS; k++)
    fprintf(f, "  %-9s %s\n", commands[k].name, commands[k].help);
  fprintf(f, "\n'%s COMMAND --help' lists the options of a command.\n", prog);
}

static void command_usage(FILE *f, const char *prog, lvm_command cmd) {
  fprintf(f, "usage: %s %s [options]\n\n%s.\n\noptions:\n", prog, commands[cmd].name,
          commands[cmd].help);
  for (int i = 0; i < N_OPTIONS; i++) {
    if (!(options[i].commands & CMD(cmd))) continue;
    char left[40];
    snprintf(left, sizeof left, "--%s%s%s", options[i].name, options[i].arg ? " " : "",
             options[i].arg ? options[i].arg : "");
    fprintf(f, "  %-22s %s\n", left, options[i].help);
  }
}

/* ---- Parsing ----------------------------------------------------------- */

typedef struct pctx {
  lvm_cli *c;
  const char *who; /* "gmm sample" */
  FILE *err;
} pctx;

static lvm_status usage_error(pctx *x, const char *fmt, ...) LVM_PRINTF(2, 3);
static lvm_status usage_error(pctx *x, const char *fmt, ...) {
  fprintf(x->err, "%s: error: ", x->who);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(x->err, fmt, ap);
  va_end(ap);
  fprintf(x->err, "\nRun '%s --help' for the options.\n", x->who);
  return LVM_EUSAGE;
}

static lvm_status parse_long(pctx *x, const char *opt, const char *s, long lo, long hi,
                             const char *what, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  int bad = end == s || *end != '\0' || errno == ERANGE || v < lo || v > hi;
  while (*s == ' ') s++;
  if (!(*s >= '0' && *s <= '9') && !(*s == '-' && s[1] >= '0' && s[1] <= '9') && *s != '+')
    bad = 1;
  if (bad) {
    if (hi == INT_MAX || hi == LONG_MAX)
      return usage_error(x, "--%s must be %s, not '%s'", opt, what, s);
    return usage_error(x, "--%s must be %s up to %ld, not '%s'", opt, what, hi, s);
  }
  *out = v;
  return LVM_OK;
}

static lvm_status parse_int(pctx *x, const char *opt, const char *s, int lo,
                            const char *what, int *out) {
  long v;
  lvm_status st = parse_long(x, opt, s, lo, INT_MAX, what, &v);
  if (st == LVM_OK) *out = (int)v;
  return st;
}

static lvm_status apply_option(pctx *x, const optdef *o, const char *arg) {
  lvm_cli *c = x->c;
  if (o->bit & c->given & ~(unsigned)(LVM_OPT_SET | LVM_OPT_EXCLUDE))
    return usage_error(x, "--%s is given twice", o->name);
  c->given |= o->bit;
  switch (o->bit) {
  case LVM_OPT_DATA: c->data = arg; return LVM_OK;
  case LVM_OPT_OUT: c->out = arg; return LVM_OK;
  case LVM_OPT_INIT: c->init = arg; return LVM_OK;
  case LVM_OPT_SET: {
    if (!strchr(arg, '=') || arg[0] == '=')
      return usage_error(x, "--set needs NAME=VALUE, not '%s'", arg);
    const char **s = realloc(c->sets, (c->n_sets + 1) * sizeof *s);
    if (!s) LVM_ERROR("out of memory", LVM_ENOMEM);
    c->sets = s;
    c->sets[c->n_sets++] = arg;
    return LVM_OK;
  }
  case LVM_OPT_EXCLUDE: {
    const char **s = realloc(c->excludes, (c->n_excludes + 1) * sizeof *s);
    if (!s) LVM_ERROR("out of memory", LVM_ENOMEM);
    c->excludes = s;
    c->excludes[c->n_excludes++] = arg;
    return LVM_OK;
  }
  case LVM_OPT_CHAINS: return parse_int(x, o->name, arg, 1, "a positive integer", &c->chains);
  case LVM_OPT_WARMUP:
    return parse_int(x, o->name, arg, 0, "a non-negative integer", &c->warmup);
  case LVM_OPT_ITER: return parse_int(x, o->name, arg, 0, "a non-negative integer", &c->iter);
  case LVM_OPT_THIN: return parse_int(x, o->name, arg, 1, "a positive integer", &c->thin);
  case LVM_OPT_THREADS:
    return parse_int(x, o->name, arg, 1, "a positive integer", &c->threads);
  case LVM_OPT_RESTARTS:
    return parse_int(x, o->name, arg, 1, "a positive integer", &c->restarts);
  case LVM_OPT_MAX_ITER:
    return parse_long(x, o->name, arg, 1, LONG_MAX, "a positive integer", &c->max_iter);
  case LVM_OPT_SEED: {
    char *end;
    errno = 0;
    const char *s = arg;
    unsigned long long v = strtoull(s, &end, 10);
    if (!(*s >= '0' && *s <= '9') || *end != '\0' || errno == ERANGE)
      return usage_error(x, "--seed must be an integer from 0 to 18446744073709551615, "
                         "not '%s'", arg);
    c->seed = (uint64_t)v;
    return LVM_OK;
  }
  case LVM_OPT_TOL: {
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end != '\0' || !isfinite(v) || !(v >= 0))
      return usage_error(x, "--tol must be a number >= 0 (0: run --max-iter iterations), not '%s'", arg);
    c->tol = v;
    return LVM_OK;
  }
  case LVM_OPT_QUIET: c->quiet = 1; return LVM_OK;
  case LVM_OPT_TRACE:
    c->trace = 1;
    c->trace_file = arg;
    return LVM_OK;
  case LVM_OPT_CHECK_GRAD: c->check_grad = 1; return LVM_OK;
  }
  return LVM_OK;
}

static void defaults(lvm_cli *c) {
  free(c->sets);
  free(c->excludes);
  free_settings(c);
  memset(c, 0, sizeof *c);
  c->chains = 4;
  c->warmup = 1000;
  c->iter = 1000;
  c->thin = 1;
  c->seed = LVM_CLI_DEFAULT_SEED;
  c->tol = 1e-6;
  c->max_iter = 1000;
  c->restarts = 1;
}

static lvm_status add_setting(lvm_cli *c, const char *key, const char *fmt, ...)
    LVM_PRINTF(3, 4);
static lvm_status add_setting(lvm_cli *c, const char *key, const char *fmt, ...) {
  lvm_buf b;
  lvm_buf_init(&b);
  va_list ap;
  va_start(ap, fmt);
  lvm_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  lvm_kv *kv = realloc(c->settings, (c->n_settings + 1) * sizeof *kv);
  char *k = lvm_io_strdup(key), *v = lvm_buf_take(&b);
  if (!kv || !k || !v) {
    if (kv) c->settings = kv;
    free(k), free(v);
    LVM_ERROR("out of memory", LVM_ENOMEM);
  }
  c->settings = kv;
  kv[c->n_settings].key = k;
  kv[c->n_settings].value = v;
  c->n_settings++;
  return LVM_OK;
}

static int takes(const lvm_cli *c, unsigned bit) {
  for (int i = 0; i < N_OPTIONS; i++)
    if (options[i].bit == bit) return (options[i].commands & CMD(c->command)) != 0;
  return 0;
}

static lvm_status build_settings(lvm_cli *c) {
  lvm_status s = LVM_OK;
#define ADD(k, ...) if (s == LVM_OK) s = add_setting(c, k, __VA_ARGS__)
  ADD("model", "%s", c->model);
  ADD("method", "%s", commands[c->command].name);
  if (takes(c, LVM_OPT_DATA)) ADD("data", "%s", c->data ? c->data : "(none)");
  for (size_t i = 0; i < c->n_sets; i++) ADD("set", "%s", c->sets[i]);
  for (size_t i = 0; i < c->n_excludes; i++) ADD("exclude", "%s", c->excludes[i]);
  if (takes(c, LVM_OPT_INIT)) ADD("init", "%s", c->init ? c->init : "(none)");
  if (takes(c, LVM_OPT_SEED))
    ADD("seed", "%llu%s", (unsigned long long)c->seed,
        c->given & LVM_OPT_SEED ? "" : " (Default)");
  if (takes(c, LVM_OPT_CHAINS)) ADD("chains", "%d", c->chains);
  if (takes(c, LVM_OPT_WARMUP)) ADD("warmup", "%d", c->warmup);
  if (takes(c, LVM_OPT_ITER)) ADD("iter", "%d", c->iter);
  if (takes(c, LVM_OPT_THIN)) ADD("thin", "%d", c->thin);
  if (takes(c, LVM_OPT_TOL)) ADD("tol", "%g", c->tol);
  if (takes(c, LVM_OPT_MAX_ITER)) ADD("max_iter", "%ld", c->max_iter);
  if (takes(c, LVM_OPT_RESTARTS)) ADD("restarts", "%d", c->restarts);
  if (takes(c, LVM_OPT_TRACE)) ADD("trace", "%s", c->trace_file ? c->trace_file : "(none)");
  if (takes(c, LVM_OPT_THREADS)) ADD("threads", "%d", c->threads);
  if (takes(c, LVM_OPT_OUT)) ADD("out", "%s", c->out ? c->out : "(default)");
#undef ADD
  return s;
}

const lvm_kv *lvm_cli_settings(const lvm_cli *c, size_t *n) {
  if (n) *n = c ? c->n_settings : 0;
  return c ? c->settings : NULL;
}

lvm_status lvm_cli_parse(lvm_cli *c, const char *model, int argc, char **argv,
                         FILE *out, FILE *err) {
  if (!c || argc < 1 || !argv) LVM_ERROR("lvm_cli_parse: invalid argument", LVM_EINVAL);
  if (!out) out = stdout;
  if (!err) err = stderr;
  defaults(c);
  c->program = argv[0];
  c->model = model ? model : base_name(argv[0]);
  const char *prog = base_name(argv[0]);
  pctx x = {.c = c, .who = prog, .err = err};
  if (argc < 2) {
    fprintf(err, "%s: error: no command given\n", prog);
    general_usage(err, prog);
    return LVM_EUSAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    general_usage(out, prog);
    c->help = 1;
    return LVM_OK;
  }
  for (int k = 1; k < N_COMMANDS; k++)
    if (!strcmp(cmd, commands[k].name)) c->command = (lvm_command)k;
  if (c->command == LVM_CMD_NONE) {
    const char *best = NULL;
    size_t bd = 3;
    for (int k = 1; k < N_COMMANDS; k++) {
      size_t d = edit_distance(cmd, commands[k].name);
      if (d < bd) bd = d, best = commands[k].name;
    }
    if (cmd[0] == '-')
      fprintf(err, "%s: error: the command comes first, before '%s'\n", prog, cmd);
    else if (best)
      fprintf(err, "%s: error: unknown command '%s' (did you mean '%s'?)\n", prog, cmd, best);
    else
      fprintf(err, "%s: error: unknown command '%s'\n", prog, cmd);
    general_usage(err, prog);
    return LVM_EUSAGE;
  }
  char who[256];
  snprintf(who, sizeof who, "%s %s", prog, commands[c->command].name);
  x.who = who;

  if (c->command == LVM_CMD_SUMMARY) {
    /* The files, and --help; lvm_summary_main parses the rest. */
    c->args = argv + 2;
    c->n_args = argc - 2;
    for (int i = 2; i < argc; i++)
      if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
        fprintf(out, "usage: %s summary FILE.csv...\n\n%s.\n", prog,
                commands[LVM_CMD_SUMMARY].help);
        c->help = 1;
      }
    return LVM_OK;
  }

  struct option longopts[N_OPTIONS + 1];
  for (int i = 0; i < N_OPTIONS; i++) {
    longopts[i].name = options[i].name;
    longopts[i].has_arg = options[i].has_arg ? required_argument : no_argument;
    longopts[i].flag = NULL;
    longopts[i].val = 1000 + i;
  }
  memset(&longopts[N_OPTIONS], 0, sizeof longopts[N_OPTIONS]);

  /* getopt_long over argv[1..]: the command plays argv[0]. */
  int sub_argc = argc - 1;
  char **sub_argv = argv + 1;
  optind = 0; /* GNU: full re-initialisation */
  opterr = 0;
  lvm_status st = LVM_OK;
  for (;;) {
    int longindex = -1;
    int ch = getopt_long(sub_argc, sub_argv, "+:h", longopts, &longindex);
    if (ch == -1) break;
    const char *cur = sub_argv[optind - 1];
    if (ch == 'h') ch = 1000 + N_OPTIONS - 1; /* --help */
    if (ch == '?') {
      /* Unknown, ambiguous, or an argument given to a flag. */
      const char *text = cur;
      if (optopt && !(text[0] == '-' && text[1] == '-'))
        return usage_error(&x, "unknown option '-%c'", optopt);
      const char *name = text + 2;
      size_t nl = strcspn(name, "=");
      for (int i = 0; i < N_OPTIONS; i++)
        if (!options[i].has_arg && strlen(options[i].name) == nl &&
            !strncmp(options[i].name, name, nl) && name[nl] == '=')
          return usage_error(&x, "option '--%s' takes no value", options[i].name);
      int matches = 0;
      for (int i = 0; i < N_OPTIONS; i++)
        if (!strncmp(options[i].name, name, nl)) matches++;
      if (matches > 1 && nl > 0)
        return usage_error(&x, "option '%.*s' is ambiguous", (int)(nl + 2), text);
      const char *best = NULL;
      size_t bd = 3;
      for (int i = 0; i < N_OPTIONS; i++) {
        if (!(options[i].commands & CMD(c->command))) continue;
        char nm[64];
        snprintf(nm, sizeof nm, "%.*s", (int)(nl < 63 ? nl : 63), name);
        size_t d = edit_distance(nm, options[i].name);
        if (d < bd) bd = d, best = options[i].name;
      }
      if (best)
        return usage_error(&x, "unknown option '%.*s' (did you mean '--%s'?)", (int)(nl + 2),
                           text, best);
      return usage_error(&x, "unknown option '%.*s'", (int)(nl + 2), text);
    }
    if (ch == ':') {
      const optdef *o = NULL;
      for (int i = 0; i < N_OPTIONS; i++)
        if (!strncmp(cur + 2, options[i].name, strcspn(cur + 2, "=")) && options[i].has_arg)
          o = &options[i];
      if (o) return usage_error(&x, "option '--%s' needs a value (%s)", o->name, o->arg);
      return usage_error(&x, "option '%s' needs a value", cur);
    }
    const optdef *o = &options[ch - 1000];
    if (o->bit == 0) { /* --help */
      command_usage(out, prog, c->command);
      c->help = 1;
      return LVM_OK;
    }
    if (!(o->commands & CMD(c->command)))
      return usage_error(&x, "'--%s' is not an option of '%s'", o->name,
                         commands[c->command].name);
    st = apply_option(&x, o, optarg);
    if (st != LVM_OK) return st;
  }
  if (optind < sub_argc)
    return usage_error(&x, "unexpected argument '%s'", sub_argv[optind]);
  if (c->command == LVM_CMD_VI && !(c->given & LVM_OPT_TOL)) c->tol = 1e-8;
  if (!(c->given & LVM_OPT_THREADS)) {
    int np = lvm_cli_nproc();
    c->threads = c->chains < np ? c->chains : np;
  }
  return build_settings(c);
}

/* ---- Chains on threads ------------------------------------------------- */

typedef struct pool {
  pthread_mutex_t lock;
  int next, n;
  lvm_chain_fn fn;
  void *ctx;
  lvm_status *status;
} pool;

static void run_next(pool *p) {
  for (;;) {
    pthread_mutex_lock(&p->lock);
    int chain = p->next < p->n ? p->next++ : -1;
    pthread_mutex_unlock(&p->lock);
    if (chain < 0) return;
    p->status[chain] = lvm_interrupted() ? LVM_EINTR : p->fn(chain, p->ctx);
  }
}

static void *worker(void *arg) {
  run_next(arg);
  return NULL;
}

lvm_status lvm_run_chains(int n_chains, int n_threads, lvm_chain_fn fn, void *ctx) {
  if (n_chains < 0 || !fn) LVM_ERROR("lvm_run_chains: invalid argument", LVM_EINVAL);
  if (n_chains == 0) return LVM_OK;
  pool p = {.next = 0, .n = n_chains, .fn = fn, .ctx = ctx};
  p.status = malloc((size_t)n_chains * sizeof *p.status);
  if (!p.status) LVM_ERROR("out of memory", LVM_ENOMEM);
  for (int i = 0; i < n_chains; i++) p.status[i] = LVM_OK;
  pthread_mutex_init(&p.lock, NULL);
  int nt = n_threads < n_chains ? n_threads : n_chains;
  if (nt < 1) nt = 1;
  pthread_t *tid = NULL;
  int started = 0;
  if (nt > 1) {
    tid = malloc((size_t)(nt - 1) * sizeof *tid);
    /* The calling thread is one of the workers. */
    for (int t = 0; tid && t < nt - 1; t++) {
      if (pthread_create(&tid[t], NULL, worker, &p) != 0) break;
      started++;
    }
  }
  run_next(&p);
  for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
  free(tid);
  pthread_mutex_destroy(&p.lock);
  lvm_status s = LVM_OK;
  for (int i = 0; i < n_chains && s == LVM_OK; i++) s = p.status[i];
  free(p.status);
  return s;
}

/* ---- SIGINT ------------------------------------------------------------ */

/* The one global of the runtime besides the error handler: a signal
 * handler can reach nothing else.  atomic_int is lock-free on every target
 * we build for, hence async-signal-safe. */
static atomic_int interrupted;

static void on_signal(int sig) {
  if (sig == SIGINT && atomic_load(&interrupted)) _exit(130); /* second ^C */
  atomic_store(&interrupted, 1);
}

lvm_status lvm_signals_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
    LVM_ERROR("cannot install the SIGINT handler", LVM_EINVAL);
  return LVM_OK;
}

int lvm_interrupted(void) { return atomic_load(&interrupted); }
void lvm_interrupt_raise(void) { atomic_store(&interrupted, 1); }
void lvm_interrupt_clear(void) { atomic_store(&interrupted, 0); }
