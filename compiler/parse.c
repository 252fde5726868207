/* parse.c — run the scanner and parser over one registered source. */
#include "parse.h"

#include <string.h>

#include "parser.h"

typedef void *yyscan_t;
typedef struct yy_buffer_state *YY_BUFFER_STATE;
int lvmylex_init_extra(struct ParseCtx *extra, yyscan_t *scanner);
int lvmylex_destroy(yyscan_t scanner);
YY_BUFFER_STATE lvmy_scan_bytes(const char *bytes, int len, yyscan_t scanner);
int lvmyparse(void *scanner, struct ParseCtx *ctx);

int parse_source(Arena *arena, Diags *diags, Program *prog, int src, int from_stdlib) {
  Source *s = diags_source(diags, src);
  if (!s) ICE("parse_source: no source %d", src);
  ParseCtx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.arena = arena;
  ctx.diags = diags;
  ctx.prog = prog;
  ctx.src = src;
  ctx.from_stdlib = from_stdlib;
  ctx.line = 1;
  ctx.col = 1;
  int before = diags->nerrors;
  const char *nul = memchr(s->text, 0, s->len);
  if (nul) {
    diag_report(diags, E_BAD_ENCODING, NO_SPAN, (int)(nul - s->text));
    return diags->nerrors - before;
  }
  yyscan_t scanner;
  if (lvmylex_init_extra(&ctx, &scanner) != 0) ICE("cannot initialise the scanner");
  ctx.scanner = scanner;
  lvmy_scan_bytes(s->text, (int)s->len, scanner);
  int rc = lvmyparse(scanner, &ctx);
  lvmylex_destroy(scanner);
  if (rc == 2 && diags->nerrors == before)
    diag_report(diags, E_SYNTAX, NO_SPAN,
                "the model is nested too deeply to parse (the parser's stack is full)");
  if (rc != 0 && diags->nerrors == before)
    diag_report(diags, E_SYNTAX, NO_SPAN, "could not parse the file");
  return diags->nerrors - before;
}
