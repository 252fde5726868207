#include "compile.h"

#include <stdlib.h>
#include <string.h>

#include "lvm/data.h"
#include "parse.h"
#include "sema.h"

Compilation *compilation_new(void) {
  Compilation *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  arena_init(&c->arena);
  diags_init(&c->diags, &c->arena);
  c->user_src = -1;
  return c;
}

void compilation_free(Compilation *c) {
  if (!c) return;
  if (c->data) lvm_data_free(c->data);
  arena_free(&c->arena);
  free(c);
}

static void data_messages(Compilation *c, lvm_msgs *msgs) {
  for (size_t i = 0; i < msgs->n; i++) {
    /* the runtime formats whole lines "file: error: text"; keep the text */
    const char *t = msgs->text[i];
    const char *lvl = msgs->level[i] == LVM_MSG_ERROR ? ": error: " : ": warning: ";
    const char *p = strstr(t, lvl);
    const char *where = p ? arena_strndup(&c->arena, t, (size_t)(p - t)) : NULL;
    const char *text = p ? p + strlen(lvl) : t;
    diag_report_file(&c->diags, msgs->level[i] == LVM_MSG_ERROR ? E_DATA : W_DATA, where, text);
  }
}

int compilation_read_data(Compilation *c, const char *path, char **sets, int nsets) {
  lvm_msgs *msgs = lvm_msgs_alloc();
  if (!msgs) return -1;
  c->data = lvm_data_alloc();
  if (!c->data) {
    lvm_msgs_free(msgs);
    return -1;
  }
  int bad = 0;
  if (path && lvm_data_read_file(c->data, path, msgs) != LVM_OK) bad = 1;
  for (int i = 0; i < nsets; i++)
    if (lvm_data_set(c->data, sets[i], msgs) != LVM_OK) bad = 1;
  data_messages(c, msgs);
  lvm_msgs_free(msgs);
  return bad ? -1 : 0;
}

int compile_buffer(Compilation *c, const char *name, const char *text, size_t len, Stage stage) {
  for (int i = 0; i < lvmc_stdlib_count; i++) {
    int src = diags_add_source(&c->diags, lvmc_stdlib[i].name, lvmc_stdlib[i].text,
                               strlen(lvmc_stdlib[i].text), 1);
    parse_source(&c->arena, &c->diags, &c->prog, src, 1);
  }
  if (c->diags.nerrors) ICE("the embedded standard library does not parse");
  c->user_src = diags_add_source(&c->diags, name, text, len, 0);
  parse_source(&c->arena, &c->diags, &c->prog, c->user_src, 0);
  if (stage < STAGE_SEMA || c->diags.nerrors) return c->diags.nerrors;
  c->model = sema_analyse(&c->arena, &c->diags, &c->prog, c->data);
  return c->diags.nerrors;
}
