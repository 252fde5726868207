#include "diag.h"

#include <stdarg.h>
#include <string.h>

static const struct {
  DiagLevel level;
  const char *fmt;
} catalogue[] = {
#define MSG(id, level, text) [id] = {level, text},
#include "messages.def"
#undef MSG
};

void diags_init(Diags *d, Arena *a) {
  memset(d, 0, sizeof *d);
  d->arena = a;
}

int diags_add_source(Diags *d, const char *name, const char *text, size_t len,
                     int builtin) {
  Source *s = arena_alloc(d->arena, sizeof *s);
  s->name = arena_strdup(d->arena, name);
  char *copy = arena_alloc(d->arena, len + 1);
  memcpy(copy, text, len);
  copy[len] = 0;
  s->text = copy;
  s->len = len;
  s->builtin = builtin;
  int n = 1;
  for (size_t i = 0; i < len; i++) n += text[i] == '\n';
  s->line_start = arena_alloc(d->arena, (size_t)n * sizeof(int));
  s->line_start[0] = 0;
  int k = 1;
  for (size_t i = 0; i < len; i++)
    if (text[i] == '\n') s->line_start[k++] = (int)i + 1;
  s->nlines = n;
  vec_push(d->arena, &d->sources, s);
  return d->sources.n - 1;
}

Source *diags_source(Diags *d, int idx) {
  if (idx < 0 || idx >= d->sources.n) return NULL;
  return d->sources.v[idx];
}

Span span_join(Span a, Span b) {
  if (a.src < 0) return b;
  if (b.src < 0) return a;
  Span s = a;
  if (b.end_line > a.end_line || (b.end_line == a.end_line && b.end_col > a.end_col)) {
    s.end_line = b.end_line;
    s.end_col = b.end_col;
  }
  return s;
}

static void push(Diags *d, DiagLevel level, MsgId id, Span span, const char *text) {
  Diag *g = arena_alloc(d->arena, sizeof *g);
  g->level = level;
  g->id = id;
  g->span = span;
  g->text = text;
  vec_push(d->arena, &d->list, g);
}

/* The one reporting path: format from the catalogue, count, cap. */
static void vreport(Diags *d, MsgId id, Span span, const char *where, va_list ap) {
  int max = d->max_errors ? d->max_errors : 50;
  DiagLevel level = catalogue[id].level;
  if (d->truncated || d->muted) return;
  if (level == DL_ERROR && d->nerrors >= max) {
    d->truncated = 1;
    push(d, DL_ERROR, E_TOO_MANY_ERRORS, NO_SPAN, catalogue[E_TOO_MANY_ERRORS].fmt);
    return;
  }
  push(d, level, id, span, arena_vprintf(d->arena, catalogue[id].fmt, ap));
  if (where) ((Diag *)d->list.v[d->list.n - 1])->where = arena_strdup(d->arena, where);
  if (level == DL_ERROR) d->nerrors++;
  else if (level == DL_WARNING) d->nwarnings++;
}

void diag_report(Diags *d, MsgId id, Span span, ...) {
  va_list ap;
  va_start(ap, span);
  vreport(d, id, span, NULL, ap);
  va_end(ap);
}

void diag_report_file(Diags *d, MsgId id, const char *where, ...) {
  va_list ap;
  va_start(ap, where);
  vreport(d, id, NO_SPAN, where, ap);
  va_end(ap);
}

void diag_note(Diags *d, Span span, const char *fmt, ...) {
  if (d->truncated || d->muted) return;
  va_list ap;
  va_start(ap, fmt);
  const char *text = arena_vprintf(d->arena, fmt, ap);
  va_end(ap);
  push(d, DL_NOTE, MSG_COUNT, span, text);
}

void span_format(Diags *d, Span s, StrBuf *out) {
  Source *src = diags_source(d, s.src);
  if (!src) return;
  sb_printf(out, "%s:%d:%d", src->name, s.line, s.col);
}

/* Print the source line of the span with a caret line under it. */
static void render_excerpt(Diags *d, Span s, StrBuf *out, int color) {
  Source *src = diags_source(d, s.src);
  if (!src || s.line < 1 || s.line > src->nlines) return;
  const char *line = src->text + src->line_start[s.line - 1];
  size_t len = strcspn(line, "\n");
  if (len && line[len - 1] == '\r') len--;
  int width = snprintf(NULL, 0, "%d", s.line);
  if (width < 4) width = 4;
  int start = s.col < 1 ? 1 : s.col;
  int end = (s.end_line == s.line && s.end_col >= start) ? s.end_col : (int)len;
  if (end < start) end = start;
  if (start > (int)len + 1) start = (int)len + 1;
  /* long lines: show a window of at most 160 columns around the caret */
  enum { WINDOW = 160 };
  int from = 1, to = (int)len;
  if ((int)len > WINDOW) {
    from = start > WINDOW / 2 ? start - WINDOW / 2 : 1;
    to = from + WINDOW - 1 < (int)len ? from + WINDOW - 1 : (int)len;
    if (end > to) end = to;
  }
  sb_printf(out, "%*d | %s", width, s.line, from > 1 ? "..." : "");
  for (int i = from; i <= to; i++) {
    unsigned char c = (unsigned char)line[i - 1];
    sb_putc(out, c == '\t' ? ' ' : (c < 32 || c == 127) ? '?' : (char)c);
  }
  if (to < (int)len) sb_puts(out, "...");
  sb_putc(out, '\n');
  sb_printf(out, "%*s | %s", width, "", from > 1 ? "   " : "");
  for (int i = from; i < start; i++) sb_putc(out, ' ');
  if (color) sb_puts(out, "\033[1;32m");
  sb_putc(out, '^');
  for (int i = start + 1; i <= end; i++) sb_putc(out, '~');
  if (color) sb_puts(out, "\033[0m");
  sb_putc(out, '\n');
}

void diags_render(Diags *d, FILE *out, int color) {
  static const char *names[] = {"error", "warning", "note"};
  static const char *colors[] = {"\033[1;31m", "\033[1;35m", "\033[1;36m"};
  StrBuf b = {0};
  for (int i = 0; i < d->list.n; i++) {
    Diag *g = d->list.v[i];
    if (color) sb_puts(&b, "\033[1m");
    if (g->span.src >= 0) {
      span_format(d, g->span, &b);
      sb_puts(&b, ": ");
    } else {
      sb_printf(&b, "%s: ", g->where ? g->where : "lvmc");
    }
    if (color) sb_puts(&b, colors[g->level]);
    sb_printf(&b, "%s:", names[g->level]);
    if (color) sb_puts(&b, "\033[0;1m");
    sb_printf(&b, " %s", g->text);
    if (color) sb_puts(&b, "\033[0m");
    sb_putc(&b, '\n');
    if (g->span.src >= 0) render_excerpt(d, g->span, &b, color);
  }
  if (b.n) fputs(b.s, out);
  sb_free(&b);
}
