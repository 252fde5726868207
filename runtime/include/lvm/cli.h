/* lvm/cli.h — the scaffolding of a compiled model's executable: command
 * line, chains on threads, SIGINT.
 *
 *   ./gmm sample --data d.json --chains 4 --out draws.csv
 *   ./gmm vi --data d.json --tol 1e-8 --out fit.json
 *   ./gmm summary draws_*.csv
 *
 * A generated main looks like this:
 *
 *   int main(int argc, char **argv) {
 *     lvm_cli *cli = lvm_cli_alloc();
 *     lvm_status s = lvm_cli_parse(cli, "gmm", argc, argv, stdout, stderr);
 *     if (s != LVM_OK || cli->help) {
 *       lvm_cli_free(cli);
 *       return lvm_cli_exit_code(s);      // 0 after --help, 2 usage error
 *     }
 *     if (cli->command == LVM_CMD_SUMMARY)
 *       return lvm_summary_main(argc - 1, argv + 1);    // lvm/diag.h
 *     lvm_signals_install();
 *     ... read cli->data, apply cli->sets, check, then e.g.
 *     s = lvm_run_chains(cli->chains, cli->threads, run_one_chain, &ctx);
 *     ...
 *     lvm_cli_free(cli);
 *     return lvm_cli_exit_code(s);        // 130 if interrupted
 *   }
 *
 * Each chain c (0-based) seeds its own stream, lvm_rng_seed(&r, seed, c),
 * and writes its own file lvm_csv_chain_path(out, c + 1, chains), so the
 * draws do not depend on the number of threads.
 *
 * Global state: lvm_cli_parse uses getopt_long (its globals optind/optarg),
 * so parse on one thread, before starting others.  The SIGINT flag is the
 * runtime's one piece of process-wide mutable state besides the error
 * handler: a signal handler can only reach a global.
 */
#ifndef LVM_CLI_H
#define LVM_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lvm/csv.h"
#include "lvm/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lvm_command {
  LVM_CMD_NONE = 0,
  LVM_CMD_SAMPLE,   /* MCMC draws from the posterior, CSV per chain */
  LVM_CMD_VI,       /* variational approximation (CAVI) */
  LVM_CMD_LEARN,    /* point parameters by EM / stochastic ML */
  LVM_CMD_INFER,    /* marginals of the latent variables */
  LVM_CMD_SIMULATE, /* draw a data set from the model */
  LVM_CMD_SUMMARY   /* summarise CSV files (lvm_summary_main) */
} lvm_command;

/* The default seed: runs are reproducible unless --seed says otherwise.
 * It is written to the CSV comments like any seed. */
#define LVM_CLI_DEFAULT_SEED 20240611u

/* Bits of lvm_cli.given: which options the command line set. */
enum {
  LVM_OPT_DATA = 1u << 0,
  LVM_OPT_SET = 1u << 1,
  LVM_OPT_CHAINS = 1u << 2,
  LVM_OPT_WARMUP = 1u << 3,
  LVM_OPT_ITER = 1u << 4,
  LVM_OPT_THIN = 1u << 5,
  LVM_OPT_SEED = 1u << 6,
  LVM_OPT_OUT = 1u << 7,
  LVM_OPT_INIT = 1u << 8,
  LVM_OPT_THREADS = 1u << 9,
  LVM_OPT_QUIET = 1u << 10,
  LVM_OPT_TOL = 1u << 11,
  LVM_OPT_MAX_ITER = 1u << 12,
  LVM_OPT_RESTARTS = 1u << 13,
  LVM_OPT_TRACE = 1u << 14,
  LVM_OPT_EXCLUDE = 1u << 15,
  LVM_OPT_CHECK_GRAD = 1u << 16
};

/* The parsed command line.  Strings point into argv. */
typedef struct lvm_cli {
  lvm_command command;
  const char *program;  /* argv[0] as given */
  const char *model;    /* the model's name (lvm_cli_parse's argument) */
  const char *data;     /* --data FILE, or NULL */
  const char **sets;    /* --set NAME=VALUE, in order (n_sets of them) */
  size_t n_sets;
  const char **excludes; /* sample --exclude NAME: left out of the output */
  size_t n_excludes;
  const char *out;      /* --out FILE, or NULL (the method's default name) */
  const char *init;     /* --init FILE, or NULL */
  int chains;           /* --chains N, default 4 */
  int warmup;           /* --warmup N, default 1000 */
  int iter;             /* --iter N, default 1000 (draws kept per chain
                           before thinning) */
  int thin;             /* --thin N, default 1 */
  uint64_t seed;        /* --seed N, default LVM_CLI_DEFAULT_SEED */
  int threads;          /* --threads N, default min(chains, processors) */
  int quiet;            /* --quiet: no progress output */
  /* Method-specific (vi, learn, infer): */
  double tol;           /* --tol X, default 1e-8 for vi, else 1e-6 (relative change) */
  long max_iter;        /* --max-iter N, default 1000 */
  int restarts;         /* --restarts N, default 1 */
  int trace;            /* --trace FILE given: the objective every iteration to FILE */
  unsigned given;       /* LVM_OPT_* bits of the options given */
  int help;             /* --help was given and printed: exit with 0 */
  char **args;          /* positional arguments (summary: the files) */
  int n_args;
  /* Settings for the CSV comments (lvm_cli_settings). */
  lvm_kv *settings;
  size_t n_settings;
  const char *trace_file; /* --trace FILE (vi: CSV restart,iteration,elbo) */
  int check_grad;       /* vi --check-grad: finite-difference check of the optimum */
} lvm_cli;

lvm_cli *lvm_cli_alloc(void);
void lvm_cli_free(lvm_cli *c);

/* Parse argv: `PROGRAM COMMAND [options]`.  Help goes to `out`, errors to
 * `err` (like `gmm sample: error: --chains must be a positive integer, not
 * 'x'`, then a line pointing to --help).  Returns LVM_OK (check c->help) or
 * LVM_EUSAGE. Options a command does not use are errors. */
lvm_status lvm_cli_parse(lvm_cli *c, const char *model, int argc, char **argv,
                         FILE *out, FILE *err);

/* "sample", "vi", ...; NULL for LVM_CMD_NONE. */
const char *lvm_cli_command_name(lvm_command cmd);

/* The settings to write at the top of an output file, as "# key = value":
 * model, method, then every option of the command with its value (given or
 * default), the seed included; each --set as its own `set` line.  Owned by
 * c. */
const lvm_kv *lvm_cli_settings(const lvm_cli *c, size_t *n);

/* The process exit status for a final status: 0 for LVM_OK, 2 for
 * LVM_EUSAGE, 130 for LVM_EINTR (as a shell reports SIGINT), 1 otherwise. */
int lvm_cli_exit_code(lvm_status s);

/* Number of online processors (at least 1). */
int lvm_cli_nproc(void);

/* ---- Chains on threads ------------------------------------------------- */

/* Run one chain, 0-based. */
typedef lvm_status (*lvm_chain_fn)(int chain, void *ctx);

/* Run chains 0..n_chains-1 on min(n_threads, n_chains) threads (a pool: each
 * thread takes the next chain not started).  n_threads <= 1 runs them in
 * order on the calling thread.  After an interrupt (lvm_interrupted) chains
 * not yet started are skipped.  Returns LVM_OK, or the status of the
 * lowest-numbered chain that failed (LVM_EINTR for a skipped chain). */
lvm_status lvm_run_chains(int n_chains, int n_threads, lvm_chain_fn fn, void *ctx);

/* ---- SIGINT ------------------------------------------------------------ */

/* Install handlers for SIGINT and SIGTERM that set the interrupt flag; the
 * samplers poll lvm_interrupted() after each draw, finish it, close their
 * files and return LVM_EINTR.  A second SIGINT ends the process at once
 * with status 130 (the CSV files are still valid: rows are whole lines). */
lvm_status lvm_signals_install(void);
/* 1 once SIGINT/SIGTERM arrived (or lvm_interrupt_raise was called). */
int lvm_interrupted(void);
/* Set the flag (as the handler does) / clear it (tests, or a new run). */
void lvm_interrupt_raise(void);
void lvm_interrupt_clear(void);

#ifdef __cplusplus
}
#endif
#endif
