/* The main of a compiled model's executable: sample, vi, simulate, summary
 * around the functions of an lvm_model (see lvm/model.h and
 * docs/runtime-model.md). */
#include "lvm/model.h"
#include "lvm/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lvm/cli.h"
#include "lvm/diag.h"
#include "lvm/linalg.h"
#include "lvm/progress.h"
#include "lvm/vi.h"

#if defined(__GNUC__)
#define MODEL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MODEL_PRINTF(a, b)
#endif

/* ---- Small helpers ----------------------------------------------------- */

static char *vformat(const char *fmt, va_list ap) {
  va_list aq;
  va_copy(aq, ap);
  int n = vsnprintf(NULL, 0, fmt, aq);
  va_end(aq);
  if (n < 0) return NULL;
  char *s = malloc((size_t)n + 1);
  if (s) vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

static char *format(const char *fmt, ...) MODEL_PRINTF(1, 2);
static char *format(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = vformat(fmt, ap);
  va_end(ap);
  return s;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *base_name(const char *p) {
  const char *s = p ? strrchr(p, '/') : NULL;
  return s ? s + 1 : p ? p : "model";
}

/* What went wrong in a model call that returned `status`. */
static const char *model_error(const lvm_model *m, const void *state, int status) {
  const char *e = m->last_error && state ? m->last_error(state) : NULL;
  if (e && *e) return e;
  return lvm_strerror(status);
}

static void *state_alloc(const lvm_model *m) {
  return calloc(1, m->state_size ? m->state_size : 1);
}

static void state_free(const lvm_model *m, void *state) {
  if (!state) return;
  m->teardown(state);
  free(state);
}

/* ---- Sampling ---------------------------------------------------------- */

typedef struct run_ctx {
  const lvm_model *m;
  const lvm_cli *cli;
  const void *base;
  const lvm_data *init; /* --init values, or NULL */
  const lvm_csv_names *names;
  lvm_csv **files;      /* one per chain, settings and header written */
  char **paths;
  lvm_progress *pg;
  char **msg;           /* per chain: why it stopped (malloc'd), or NULL */
  int *started;
  lvm_status *status;   /* per chain */
} run_ctx;

/* Chain c (0-based): clone, init, warmup, sampling; one CSV row per kept
 * draw.  The file is closed here whatever happens. */
static lvm_status run_chain(int c, void *arg) {
  run_ctx *x = arg;
  const lvm_model *m = x->m;
  const lvm_cli *cli = x->cli;
  lvm_csv *w = x->files[c];
  x->files[c] = NULL;
  x->started[c] = 1;
  const long warmup = cli->warmup, total = (long)cli->warmup + cli->iter;
  lvm_status result = LVM_OK;
  double t0 = now(), t_warm = warmup == 0 ? 0 : -1; /* warmup's duration */

  lvm_progress_start(x->pg, c, total, warmup);
  double *row = malloc((x->names->n ? x->names->n : 1) * sizeof *row);
  void *st = state_alloc(m);
  if (!row || !st) {
    x->msg[c] = format("chain %d: out of memory", c + 1);
    result = LVM_ENOMEM;
    goto done;
  }
  int s = m->clone(st, x->base);
  if (s != 0) {
    x->msg[c] = format("chain %d: cannot copy the model state: %s", c + 1,
                       model_error(m, st, s));
    result = LVM_EINTERNAL;
    goto done;
  }
  lvm_rng r;
  lvm_rng_seed(&r, cli->seed, (uint64_t)c);
  s = m->init(st, &r);
  if (s == 0 && x->init) {
    lvm_msgs *msgs = lvm_msgs_alloc();
    s = m->init_from(st, x->init, msgs);
    size_t k = 0; /* the first error (warnings were shown by the probe) */
    while (msgs && k < msgs->n && msgs->level[k] != LVM_MSG_ERROR) k++;
    if (s != 0 && msgs && k < msgs->n) {
      x->msg[c] = format("chain %d, initialisation: %s", c + 1, msgs->text[k]);
      lvm_csv_comment(w, "Initialisation failed: %s", msgs->text[k]);
      lvm_msgs_free(msgs);
      result = LVM_EDATA;
      goto done;
    }
    lvm_msgs_free(msgs);
  }
  if (s != 0) {
    x->msg[c] = format("chain %d, initialisation: %s", c + 1, model_error(m, st, s));
    lvm_csv_comment(w, "Initialisation failed: %s", model_error(m, st, s));
    result = LVM_ENUMERIC;
    goto done;
  }

  for (long i = 1; i <= total; i++) {
    int warm = i <= warmup;
    s = m->sweep(st, &r, warm);
    if (s != 0) {
      const char *e = model_error(m, st, s);
      x->msg[c] = format("chain %d, iteration %ld: %s", c + 1, i, e);
      lvm_csv_comment(w, "Sampling stopped at iteration %ld of %ld (%s): %s", i, total,
                      warm ? "warmup" : "sampling", e);
      result = LVM_ENUMERIC;
      break;
    }
    if (!warm && (i - warmup - 1) % cli->thin == 0) {
      row[0] = m->log_joint(st);
      m->write_row(st, row + 1);
      if (lvm_csv_row(w, row) != LVM_OK) {
        x->msg[c] = format("chain %d: cannot write to '%s': %s", c + 1, x->paths[c],
                           strerror(errno));
        result = LVM_EIO;
        break;
      }
    }
    if (i == warmup) t_warm = now() - t0;
    lvm_progress_update(x->pg, c, i);
    if (lvm_interrupted()) {
      if (i < total) {
        lvm_csv_comment(w, "Interrupted at iteration %ld of %ld", i, total);
        result = LVM_EINTR;
      }
      break;
    }
  }

done:;
  double el = now() - t0;
  if (t_warm < 0) t_warm = el; /* stopped during warmup */
  lvm_progress_finish(x->pg, c);
  lvm_csv_elapsed(w, t_warm, el - t_warm);
  if (lvm_csv_close(w) != LVM_OK && result == LVM_OK) {
    x->msg[c] = format("chain %d: cannot write '%s'", c + 1, x->paths[c]);
    result = LVM_EIO;
  }
  if (st) state_free(m, st);
  free(row);
  x->status[c] = result;
  return result;
}

/* The settings written at the top of each draws file: the command line's
 * (lvm_cli_settings) with `source` after `model`, `algorithm = gibbs` after
 * `method`, and the output file name filled in. */
static lvm_kv *sample_settings(const lvm_model *m, const lvm_cli *cli, const char *out,
                               size_t *n_out) {
  size_t n;
  const lvm_kv *kv = lvm_cli_settings(cli, &n);
  lvm_kv *s = malloc((n + 2) * sizeof *s);
  if (!s) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    s[k] = kv[i];
    if (!strcmp(kv[i].key, "out")) s[k].value = out;
    k++;
    if (!strcmp(kv[i].key, "model"))
      s[k++] = (lvm_kv){"source", m->source ? m->source : "(unknown)"};
    if (!strcmp(kv[i].key, "method")) s[k++] = (lvm_kv){"algorithm", "gibbs"};
  }
  *n_out = k;
  return s;
}

static int cmd_sample(const lvm_model *m, const lvm_cli *cli, const char *who, void *base,
                      FILE *err) {
  int rc = 1;
  int C = cli->chains;
  char *default_out = NULL;
  const char *out = cli->out;
  if (!out) out = default_out = format("%s_draws.csv", m->name);
  lvm_csv_names *names = lvm_csv_names_alloc();
  lvm_data *init = NULL;
  lvm_msgs *msgs = lvm_msgs_alloc();
  lvm_kv *settings = NULL;
  size_t n_settings = 0;
  lvm_progress *pg = NULL;
  lvm_csv **files = calloc((size_t)C, sizeof *files);
  char **paths = calloc((size_t)C, sizeof *paths);
  char **msg = calloc((size_t)C, sizeof *msg);
  int *started = calloc((size_t)C, sizeof *started);
  lvm_status *status = calloc((size_t)C, sizeof *status);
  if (!out || !names || !msgs || !files || !paths || !msg || !started || !status) {
    fprintf(err, "%s: error: out of memory\n", who);
    goto done;
  }

  /* --exclude NAME: left out of the output (before the chains clone) */
  for (size_t i = 0; i < cli->n_excludes; i++) {
    if (!m->exclude || m->exclude(base, cli->excludes[i]) != 0) {
      fprintf(err, "%s: error: --exclude %s: the model has no output variable of that name\n", who,
              cli->excludes[i]);
      goto done;
    }
  }

  /* Columns: lp__, then the model's. */
  int s = lvm_csv_names_add(names, "lp__", 0, NULL, 0);
  if (s == LVM_OK) s = m->columns(base, names);
  if (s != 0) {
    fprintf(err, "%s: error: cannot name the output columns: %s\n", who,
            model_error(m, base, s));
    goto done;
  }

  /* --init FILE: read it and try it once, so that its problems are reported
   * before anything is written. */
  if (cli->init) {
    if (!m->init_from) {
      fprintf(err, "%s: error: --init is not supported by model %s\n", who, m->name);
      goto done;
    }
    init = lvm_data_alloc();
    void *probe = state_alloc(m);
    if (!init || !probe) {
      free(probe);
      fprintf(err, "%s: error: out of memory\n", who);
      goto done;
    }
    s = lvm_data_read_file(init, cli->init, msgs);
    if (s == LVM_OK) {
      lvm_rng r;
      lvm_rng_seed(&r, cli->seed, 0);
      s = m->clone(probe, base);
      if (s != 0) {
        lvm_msgs_add(msgs, LVM_MSG_ERROR, NULL, "cannot copy the model state: %s",
                     model_error(m, probe, s));
      } else if ((s = m->init(probe, &r)) != 0) {
        lvm_msgs_add(msgs, LVM_MSG_ERROR, NULL, "initialisation failed: %s",
                     model_error(m, probe, s));
      } else if ((s = m->init_from(probe, init, msgs)) != 0 && msgs->n_errors == 0) {
        lvm_msgs_add(msgs, LVM_MSG_ERROR, cli->init, "%s", model_error(m, probe, s));
      }
    }
    state_free(m, probe);
    lvm_msgs_print(msgs, err);
    if (s != 0 || msgs->n_errors > 0) goto done;
    lvm_msgs_clear(msgs);
  }

  /* Create every file first (a bad --out fails before sampling, and files of
   * an earlier run are not mixed with this one's). */
  settings = sample_settings(m, cli, out, &n_settings);
  if (!settings) {
    fprintf(err, "%s: error: out of memory\n", who);
    goto done;
  }
  for (int c = 0; c < C; c++) {
    paths[c] = lvm_csv_chain_path(out, c + 1, C);
    if (!paths[c]) {
      fprintf(err, "%s: error: out of memory\n", who);
      goto done;
    }
    FILE *probe = fopen(paths[c], "w");
    if (!probe) {
      fprintf(err, "%s: error: cannot create '%s': %s\n", who, paths[c], strerror(errno));
      goto done;
    }
    fclose(probe);
    files[c] = lvm_csv_open(paths[c]);
    s = files[c] ? LVM_OK : LVM_EIO;
    if (s == LVM_OK) s = lvm_csv_settings(files[c], settings, n_settings);
    if (s == LVM_OK) s = lvm_csv_comment(files[c], "chain = %d", c + 1);
    if (s == LVM_OK) s = lvm_csv_header(files[c], names);
    if (s != LVM_OK) {
      fprintf(err, "%s: error: cannot write '%s'\n", who, paths[c]);
      goto done;
    }
  }

  pg = lvm_progress_alloc(C, err, cli->quiet ? LVM_PROGRESS_QUIET : LVM_PROGRESS_AUTO);
  run_ctx x = {.m = m, .cli = cli, .base = base, .init = init, .names = names,
               .files = files, .paths = paths, .pg = pg, .msg = msg, .started = started,
               .status = status};
  lvm_run_chains(C, cli->threads, run_chain, &x);
  lvm_progress_free(pg);
  pg = NULL;

  /* Messages after the progress display is gone, in chain order. */
  int failed = 0;
  for (int c = 0; c < C; c++) {
    if (msg[c]) fprintf(err, "%s: error: %s\n", who, msg[c]);
    else if (status[c] != LVM_OK && status[c] != LVM_EINTR)
      fprintf(err, "%s: error: chain %d: %s\n", who, c + 1, lvm_strerror(status[c]));
    if (status[c] != LVM_OK && status[c] != LVM_EINTR) failed++;
  }
  int interrupted = lvm_interrupted();
  /* Files of chains that never started (interrupted first) hold no draws. */
  int skipped = 0;
  for (int c = 0; c < C; c++) {
    if (started[c]) continue;
    lvm_csv_close(files[c]);
    files[c] = NULL;
    unlink(paths[c]);
    skipped++;
  }
  if (interrupted) {
    fprintf(err, "%s: interrupted; the files hold the draws made so far", who);
    if (skipped) fprintf(err, " (%d chain%s not started, no file)", skipped, skipped > 1 ? "s" : "");
    fprintf(err, "\n");
    rc = 130;
  } else if (failed) {
    fprintf(err, "%s: error: %d of %d chain%s failed; %s the draws made before the failure\n",
            who, failed, C, C > 1 ? "s" : "", failed > 1 ? "their files hold" : "its file holds");
    rc = 1;
  } else {
    rc = 0;
  }

done:
  if (pg) lvm_progress_free(pg);
  for (int c = 0; files && c < C; c++)
    if (files[c]) {
      /* Not run (an error before sampling): remove what was created. */
      lvm_csv_close(files[c]);
      if (paths[c]) unlink(paths[c]);
    }
  for (int c = 0; paths && c < C; c++) free(paths[c]);
  for (int c = 0; msg && c < C; c++) free(msg[c]);
  free(files), free(paths), free(msg), free(started), free(status), free(settings);
  lvm_csv_names_free(names);
  lvm_data_free(init);
  lvm_msgs_free(msgs);
  free(default_out);
  return rc;
}

/* ---- Simulation -------------------------------------------------------- */

static int cmd_simulate(const lvm_model *m, const lvm_cli *cli, const char *who, void *base,
                        FILE *err) {
  if (!m->simulate) {
    fprintf(err, "%s: error: model %s cannot simulate\n", who, m->name);
    return 1;
  }
  char *default_out = NULL;
  const char *out = cli->out;
  if (!out) out = default_out = format("%s_sim.json", m->name);
  lvm_data *sim = lvm_data_alloc();
  int rc = 1;
  if (!out || !sim) {
    fprintf(err, "%s: error: out of memory\n", who);
    goto done;
  }
  lvm_rng r;
  lvm_rng_seed(&r, cli->seed, 0);
  int s = m->init(base, &r);
  if (s != 0) {
    fprintf(err, "%s: error: initialisation: %s\n", who, model_error(m, base, s));
    goto done;
  }
  s = m->simulate(base, &r, sim);
  if (s != 0) {
    fprintf(err, "%s: error: %s\n", who, model_error(m, base, s));
    goto done;
  }
  if (lvm_data_write(sim, out) != LVM_OK) {
    fprintf(err, "%s: error: cannot write '%s'\n", who, out);
    goto done;
  }
  if (!cli->quiet)
    fprintf(err, "%s: wrote %s (%zu variables, seed %llu)\n", who, out, sim->n_vars,
            (unsigned long long)cli->seed);
  rc = 0;
done:
  lvm_data_free(sim);
  free(default_out);
  return rc;
}

/* ---- Main -------------------------------------------------------------- */

static int check_model(const lvm_model *m, FILE *err) {
  const char *missing = !m                ? "the model"
                        : !m->name        ? "name"
                        : !m->setup && !m->setup_ctx ? "setup"
                        : !m->teardown    ? "teardown"
                        : !m->clone       ? "clone"
                        : !m->columns     ? "columns"
                        : !m->init        ? "init"
                        : !m->sweep       ? "sweep"
                        : !m->log_joint   ? "log_joint"
                        : !m->write_row   ? "write_row"
                                          : NULL;
  if (!missing) return 0;
  fprintf(err, "lvm_model_main: internal error: %s is missing from the model's table\n",
          missing);
  return 1;
}

static const char *planned(lvm_command c) {
  switch (c) {
  case LVM_CMD_LEARN: return "learning point parameters (EM, stochastic ML)";
  case LVM_CMD_INFER: return "marginals of the latent variables";
  default: return "this command";
  }
}

int lvm_model_run(const lvm_model *m, int argc, char **argv, FILE *out, FILE *err) {
  if (!out) out = stdout;
  if (!err) err = stderr;
  if (check_model(m, err)) return 1;
  lvm_cli *cli = lvm_cli_alloc();
  if (!cli) return 1;
  lvm_status st = lvm_cli_parse(cli, m->name, argc, argv, out, err);
  if (st != LVM_OK || cli->help) {
    lvm_cli_free(cli);
    return lvm_cli_exit_code(st);
  }
  char who[256];
  snprintf(who, sizeof who, "%s %s", base_name(argv[0]), lvm_cli_command_name(cli->command));
  int rc = 1;

  switch (cli->command) {
  case LVM_CMD_SUMMARY: {
    int first = 0;
    for (int i = 0; i < cli->n_args; i++) {
      if (!strcmp(cli->args[i], "--")) {
        first = i + 1;
        break;
      }
      if (cli->args[i][0] == '-' && cli->args[i][1] != '\0') {
        fprintf(err, "%s: error: unknown option '%s'\nRun '%s --help' for the options.\n", who,
                cli->args[i], who);
        lvm_cli_free(cli);
        return 2;
      }
    }
    rc = lvm_summary_run(cli->n_args - first, cli->args + first, out, err);
    lvm_cli_free(cli);
    return rc;
  }
  case LVM_CMD_VI:
    /* before the data: a model without CAVI says so at once */
    if (!m->vi || m->vi->unsupported) {
      fprintf(err, "%s: error: %s\n", who,
              m->vi ? m->vi->unsupported : "this model was built without CAVI kernels");
      lvm_cli_free(cli);
      return 1;
    }
    break;
  case LVM_CMD_LEARN:
  case LVM_CMD_INFER:
    fprintf(err,
            "%s: error: '%s' (%s) is not available yet: this executable implements "
            "'sample', 'vi', 'simulate' and 'summary'; '%s' is planned (see the status table "
            "in README.md)\n",
            who, lvm_cli_command_name(cli->command), planned(cli->command),
            lvm_cli_command_name(cli->command));
    lvm_cli_free(cli);
    return 1;
  default: break;
  }

  lvm_signals_install();
  lvm_mem_setup();

  /* Data: the file, then --set, then the model's own checks (setup). */
  lvm_data *data = lvm_data_alloc();
  lvm_msgs *msgs = lvm_msgs_alloc();
  void *base = state_alloc(m);
  if (!data || !msgs || !base) {
    fprintf(err, "%s: error: out of memory\n", who);
    goto done;
  }
  lvm_status ds = LVM_OK;
  if (cli->data) ds = lvm_data_read_file(data, cli->data, msgs);
  for (size_t i = 0; i < cli->n_sets; i++)
    if (lvm_data_set(data, cli->sets[i], msgs) != LVM_OK && ds == LVM_OK) ds = LVM_EDATA;
  int s = 1;
  if (ds == LVM_OK) {
    s = m->setup_ctx ? m->setup_ctx(m->ctx, base, data, msgs) : m->setup(base, data, msgs);
    if (s != 0 && msgs->n_errors == 0)
      lvm_msgs_add(msgs, LVM_MSG_ERROR, cli->data, "%s", model_error(m, base, s));
  }
  lvm_msgs_print(msgs, err);
  if (ds != LVM_OK || s != 0 || msgs->n_errors > 0) goto done;
  if (lvm_interrupted()) {
    rc = 130;
    goto done;
  }

  if (cli->command == LVM_CMD_SAMPLE) rc = cmd_sample(m, cli, who, base, err);
  else if (cli->command == LVM_CMD_SIMULATE) rc = cmd_simulate(m, cli, who, base, err);
  else if (cli->command == LVM_CMD_VI) rc = lvm_vi_command(m, cli, who, base, err);

done:
  if (base) state_free(m, base);
  lvm_msgs_free(msgs);
  lvm_data_free(data);
  lvm_cli_free(cli);
  return rc;
}

int lvm_model_main(const lvm_model *m, int argc, char **argv) {
  return lvm_model_run(m, argc, argv, stdout, stderr);
}
