/* diag.h — source files, spans and diagnostics.
 *
 * Every token and AST node carries a Span.  Passes report problems with
 * diag_error(), naming a message from the catalogue (messages.def); no pass
 * prints or exits.  The driver renders the collected list clang-style:
 *
 *   model.lvm:12:7: error: 't' is not defined; did you mean 'theta'?
 *      12 |   x[i] ~ Poisson(t * 2);
 *         |                  ^
 */
#ifndef LVMC_DIAG_H
#define LVMC_DIAG_H

#include <stdio.h>

#include "util.h"

typedef struct Source {
  const char *name;  /* as given on the command line ("-" shown as <stdin>) */
  const char *text;  /* NUL-terminated */
  size_t len;
  int *line_start;   /* byte offset of each line (0-based index = line-1) */
  int nlines;
  int builtin;       /* 1 for the embedded standard library */
} Source;

typedef struct Span {
  int src;                 /* index into the source table; -1 = none */
  int line, col;           /* 1-based, inclusive start */
  int end_line, end_col;   /* inclusive end */
} Span;

#define NO_SPAN ((Span){-1, 0, 0, 0, 0})

typedef enum DiagLevel { DL_ERROR, DL_WARNING, DL_NOTE } DiagLevel;

typedef enum MsgId {
#define MSG(id, level, text) id,
#include "messages.def"
#undef MSG
  MSG_COUNT
} MsgId;

typedef struct Diag {
  DiagLevel level;
  MsgId id;
  Span span;
  const char *text;  /* formatted message */
  const char *where; /* a file name for diagnostics without a span (data files) */
} Diag;

typedef struct Diags {
  Arena *arena;
  PtrVec sources;  /* Source* */
  PtrVec list;     /* Diag* in report order */
  int nerrors, nwarnings;
  int max_errors;  /* stop recording after this many errors (0 = 50) */
  int truncated;
  int muted;       /* >0: drop reports (used by inference passes) */
} Diags;

void diags_init(Diags *d, Arena *a);
/* Register a source buffer (copied into the arena); returns its index. */
int diags_add_source(Diags *d, const char *name, const char *text, size_t len,
                     int builtin);
Source *diags_source(Diags *d, int idx);

/* Report: the message's format comes from the catalogue. */
void diag_report(Diags *d, MsgId id, Span span, ...);
/* Report about a file as a whole ("data.json: error: ..."). */
void diag_report_file(Diags *d, MsgId id, const char *where, ...);
/* A note attached to the previous diagnostic. */
void diag_note(Diags *d, Span span, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void diags_render(Diags *d, FILE *out, int color);
/* Render one span as "file:line:col". */
void span_format(Diags *d, Span s, StrBuf *out);

Span span_join(Span a, Span b);

#endif
