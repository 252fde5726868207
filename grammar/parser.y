/* parser.y — the grammar of the .lvm language (docs/language.md).
 *
 * A pure (reentrant) LALR(1) parser building the AST of ast.h.  Syntax
 * errors are reported through the diagnostics list with a custom message
 * (yyreport_syntax_error) and recovered at ';' and '}' so that one run
 * reports several errors.  All nodes are arena-allocated, so discarded
 * symbols need no destructors.
 */
%require "3.7"
%define api.pure full
%define api.prefix {lvmy}
%define parse.error custom
%locations
%param {void *scanner}
%parse-param {struct ParseCtx *ctx}

%code requires {
#include "ast.h"
struct ParseCtx;
}

%code provides {
int lvmylex(LVMYSTYPE *yylval, LVMYLTYPE *yylloc, void *scanner);
}

%code {
#include <string.h>
#include "parse.h"

#define A (ctx->arena)
static Span SP(struct ParseCtx *c, LVMYLTYPE l) {
  return (Span){c->src, l.first_line, l.first_column, l.last_line, l.last_column};
}
static Node *mk(struct ParseCtx *c, NodeKind k, LVMYLTYPE l) {
  Node *n = ast_new(c->arena, k, SP(c, l));
  n->from_stdlib = c->from_stdlib;
  return n;
}
static Node *binop(struct ParseCtx *c, int op, Node *x, Node *y, LVMYLTYPE l) {
  Node *n = mk(c, N_BINARY, l);
  n->op = op;
  n->a = x;
  n->b = y;
  return n;
}
static void item(struct ParseCtx *c, Node *n) {
  if (n) vec_push(c->arena, &c->prog->items, n);
}
static void lvmyerror(LVMYLTYPE *loc, void *scanner, struct ParseCtx *c, const char *msg) {
  (void)scanner;
  if (!strcmp(msg, "memory exhausted"))
    msg = "the model is nested too deeply to parse (at most 10000 levels)";
  diag_report(c->diags, E_SYNTAX, SP(c, *loc), msg);
}
}

%union {
  const char *str;
  double num;
  struct Node *node;
  PtrVec list;
}

%token <str> IDENT "name"
%token <num> INT "integer" REAL "number"
%token MODEL "model" DATA "data" PARAM "param" FOR "for" IN "in" IF "if"
%token FACTOR "factor" REST "rest" DIST "dist" FAMILY "family"
%token EQ "==" NE "!=" LE "<=" GE ">=" AND "&&" OR "||"

%type <node> item stmt lhs expr postfix primary type opt_default opt_if vardecl clause
%type <node> comprehension
%type <list> stmts args opt_args vardecls clauses opt_dims

%left OR
%left AND
%nonassoc EQ NE '<' LE '>' GE
%left '+' '-'
%left '*' '/'
%precedence UMINUS '!'
%right '^'

%%

file
  : %empty
  | file item            { item(ctx, $2); }
  ;

item
  : MODEL IDENT ';'      { $$ = mk(ctx, N_MODEL, @$); $$->name = $2; $$->name_span = SP(ctx, @2); }
  | DATA IDENT ':' type opt_default ';'
                         { $$ = mk(ctx, N_DATA, @$); $$->name = $2; $$->name_span = SP(ctx, @2);
                           $$->type = $4; $$->a = $5; }
  | PARAM IDENT ':' type opt_default ';'
                         { $$ = mk(ctx, N_PARAM, @$); $$->name = $2; $$->name_span = SP(ctx, @2);
                           $$->type = $4; $$->a = $5; }
  | IDENT ':' type ';'   { $$ = mk(ctx, N_ANNOT, @$); $$->name = $1; $$->name_span = SP(ctx, @1);
                           $$->type = $3; }
  | DIST IDENT '(' vardecl '|' vardecls ')' '=' expr ';'
                         { $$ = mk(ctx, N_DIST, @$); $$->name = $2; $$->name_span = SP(ctx, @2);
                           vec_push(A, &$$->list, $4);
                           for (int i = 0; i < $6.n; i++) vec_push(A, &$$->list, $6.v[i]);
                           $$->a = $9; }
  | FAMILY IDENT '(' vardecl ')' '{' clauses '}'
                         { $$ = mk(ctx, N_FAMILY, @$); $$->name = $2; $$->name_span = SP(ctx, @2);
                           vec_push(A, &$$->list, $4); $$->clauses = $7; }
  | stmt                 { $$ = $1; }
  ;

opt_default
  : %empty               { $$ = NULL; }
  | '=' expr             { $$ = $2; }
  ;

vardecl
  : IDENT ':' type       { $$ = mk(ctx, N_VARDECL, @$); $$->name = $1; $$->name_span = SP(ctx, @1);
                           $$->type = $3; }
  ;

vardecls
  : vardecl              { $$ = (PtrVec){0}; vec_push(A, &$$, $1); }
  | vardecls ',' vardecl { $$ = $1; vec_push(A, &$$, $3); }
  ;

clauses
  : %empty               { $$ = (PtrVec){0}; }
  | clauses clause       { $$ = $1; if ($2) vec_push(A, &$$, $2); }
  ;

clause
  : IDENT args ';'       { $$ = mk(ctx, N_CLAUSE, @$); $$->name = $1; $$->name_span = SP(ctx, @1);
                           $$->list = $2; }
  | error ';'            { $$ = NULL; yyerrok; }
  ;

type
  : IDENT opt_dims       { $$ = mk(ctx, N_TYPE, @$); $$->name = $1; $$->name_span = SP(ctx, @1);
                           $$->list = $2; }
  | IDENT '(' expr ')' opt_dims
                         { $$ = mk(ctx, N_TYPE, @$); $$->name = $1; $$->name_span = SP(ctx, @1);
                           $$->a = $3; $$->list = $5; }
  ;

opt_dims
  : %empty               { $$ = (PtrVec){0}; }
  | '[' args ']'         { $$ = $2; }
  ;

stmts
  : %empty               { $$ = (PtrVec){0}; }
  | stmts stmt           { $$ = $1; if ($2) vec_push(A, &$$, $2); }
  ;

stmt
  : lhs '~' IDENT '(' opt_args ')' ';'
                         { $$ = mk(ctx, N_TILDE, @$); $$->a = $1; $$->name = $3;
                           $$->name_span = SP(ctx, @3); $$->list = $5; }
  | lhs '|' REST '~' IDENT '(' opt_args ')' ';'
                         { $$ = mk(ctx, N_REST, @$); $$->a = $1; $$->name = $5;
                           $$->name_span = SP(ctx, @5); $$->list = $7; }
  | lhs '=' expr ';'     { $$ = mk(ctx, N_ASSIGN, @$); $$->a = $1; $$->b = $3; }
  | FACTOR expr ';'      { $$ = mk(ctx, N_FACTOR, @$); $$->a = $2; }
  | FOR IDENT IN expr ':' expr opt_if stmt
                         { $$ = mk(ctx, N_FOR, @$); $$->var = $2; $$->var_span = SP(ctx, @2);
                           $$->b = $4; $$->c = $6; $$->d = $7; $$->a = $8;
                           if (!$8) $$ = NULL; }
  | '{' stmts '}'        { $$ = mk(ctx, N_BLOCK, @$); $$->list = $2; }
  | error ';'            { $$ = NULL; yyerrok; }
  | error '}'            { $$ = NULL; yyerrok; }
  ;

opt_if
  : %empty               { $$ = NULL; }
  | IF expr              { $$ = $2; }
  ;

lhs
  : IDENT                { $$ = mk(ctx, N_NAME, @$); $$->name = $1; $$->name_span = SP(ctx, @1); }
  | IDENT '[' args ']'   { Node *b = mk(ctx, N_NAME, @1); b->name = $1; b->name_span = SP(ctx, @1);
                           $$ = mk(ctx, N_INDEX, @$); $$->a = b; $$->list = $3; }
  ;

opt_args
  : %empty               { $$ = (PtrVec){0}; }
  | args                 { $$ = $1; }
  ;

args
  : expr                 { $$ = (PtrVec){0}; vec_push(A, &$$, $1); }
  | args ',' expr        { $$ = $1; vec_push(A, &$$, $3); }
  ;

expr
  : expr OR expr         { $$ = binop(ctx, OP_OR, $1, $3, @$); }
  | expr AND expr        { $$ = binop(ctx, OP_AND, $1, $3, @$); }
  | expr EQ expr         { $$ = binop(ctx, OP_EQ, $1, $3, @$); }
  | expr NE expr         { $$ = binop(ctx, OP_NE, $1, $3, @$); }
  | expr '<' expr        { $$ = binop(ctx, '<', $1, $3, @$); }
  | expr LE expr         { $$ = binop(ctx, OP_LE, $1, $3, @$); }
  | expr '>' expr        { $$ = binop(ctx, '>', $1, $3, @$); }
  | expr GE expr         { $$ = binop(ctx, OP_GE, $1, $3, @$); }
  | expr '+' expr        { $$ = binop(ctx, '+', $1, $3, @$); }
  | expr '-' expr        { $$ = binop(ctx, '-', $1, $3, @$); }
  | expr '*' expr        { $$ = binop(ctx, '*', $1, $3, @$); }
  | expr '/' expr        { $$ = binop(ctx, '/', $1, $3, @$); }
  | expr '^' expr        { $$ = binop(ctx, '^', $1, $3, @$); }
  | '-' expr %prec UMINUS
                         { $$ = mk(ctx, N_UNARY, @$); $$->op = '-'; $$->a = $2; }
  | '!' expr             { $$ = mk(ctx, N_UNARY, @$); $$->op = '!'; $$->a = $2; }
  | postfix              { $$ = $1; }
  ;

postfix
  : primary              { $$ = $1; }
  | postfix '[' args ']' { $$ = mk(ctx, N_INDEX, @$); $$->a = $1; $$->list = $3; }
  | postfix '\''         { $$ = mk(ctx, N_TRANSPOSE, @$); $$->a = $1; }
  ;

primary
  : INT                  { $$ = mk(ctx, N_NUM, @$); $$->num = $1; $$->is_int = true; }
  | REAL                 { $$ = mk(ctx, N_NUM, @$); $$->num = $1; }
  | IDENT                { $$ = mk(ctx, N_NAME, @$); $$->name = $1; $$->name_span = SP(ctx, @1); }
  | IDENT '(' opt_args ')'
                         { $$ = mk(ctx, N_CALL, @$); $$->name = $1; $$->name_span = SP(ctx, @1);
                           $$->list = $3; }
  | comprehension        { $$ = $1; }
  | '(' expr ')'         { $$ = $2; $$->span = SP(ctx, @$); }
  ;

comprehension
  : IDENT '(' expr FOR IDENT IN expr ':' expr opt_if ')'
                         { $$ = mk(ctx, N_COMPREH, @$); $$->name = $1; $$->name_span = SP(ctx, @1);
                           $$->a = $3; $$->var = $5; $$->var_span = SP(ctx, @5);
                           $$->b = $7; $$->c = $9; $$->d = $10; }
  ;

%%

/* "unexpected 'x'; expected ';'" with the list of what would fit, and two
 * kinds of help: a missing ';' is reported right after the previous token,
 * and an unclosed '{' at end of file names the brace it left open. */
static int yyreport_syntax_error(const yypcontext_t *pc, void *scanner, struct ParseCtx *ctx) {
  (void)scanner;
  enum { MAXEXP = 8 };
  yysymbol_kind_t expected[MAXEXP];
  int n = yypcontext_expected_tokens(pc, expected, MAXEXP);
  yysymbol_kind_t look = yypcontext_token(pc);
  const LVMYLTYPE *loc = yypcontext_location(pc);
  StrBuf b = {0};
  int want_semi = 0, want_brace = 0;
  for (int i = 0; i < n && i < MAXEXP; i++) {
    if (!strcmp(yysymbol_name(expected[i]), "';'")) want_semi = 1;
    if (!strcmp(yysymbol_name(expected[i]), "'}'")) want_brace = 1;
  }
  Span at = SP(ctx, *loc);
  if (look == YYSYMBOL_YYEOF) {
    if (want_brace && ctx->nbrace > 0) {
      int k = ctx->nbrace - 1 < 255 ? ctx->nbrace - 1 : 255;
      sb_puts(&b, "unexpected end of file: missing '}'");
      diag_report(ctx->diags, E_SYNTAX, at, b.s);
      diag_note(ctx->diags,
                (Span){ctx->src, ctx->brace_line[k], ctx->brace_col[k], ctx->brace_line[k],
                       ctx->brace_col[k]},
                "to close the '{' opened here");
      sb_free(&b);
      return 0;
    }
    sb_puts(&b, "unexpected end of file");
  } else {
    sb_printf(&b, "unexpected %s", yysymbol_name(look));
  }
  if (want_semi && look != YYSYMBOL_YYEOF && ctx->prev_end_line > 0 &&
      loc->first_line > ctx->prev_end_line) {
    /* The statement ended on an earlier line: put the caret after it. */
    sb_free(&b);
    Span after = {ctx->src, ctx->prev_end_line, ctx->prev_end_col + 1, ctx->prev_end_line,
                  ctx->prev_end_col + 1};
    diag_report(ctx->diags, E_SYNTAX, after, "expected ';' at the end of this statement");
    return 0;
  }
  if (n > 0 && n <= 5) {
    sb_puts(&b, "; expected ");
    for (int i = 0; i < n; i++) {
      if (i) sb_puts(&b, i == n - 1 ? " or " : ", ");
      sb_puts(&b, yysymbol_name(expected[i]));
    }
  }
  diag_report(ctx->diags, E_SYNTAX, at, b.s);
  sb_free(&b);
  return 0;
}
