/* The undo manager through the C API: undo/redo of text and map edits,
 * capture windows, remote edits kept, scope, stop_capturing/clear, and every
 * misuse — NULL handles, foreign containers, an open transaction, options of
 * a newer header, and a manager whose document was freed. */
#include "check.h"

static tandem_undo* new_undo(tandem_doc* d, const tandem_container* scope, size_t n,
                             uint64_t window_ms) {
  tandem_undo_options o;
  tandem_undo_options_init(&o);
  o.capture_window_ms = window_ms;
  tandem_undo* u = NULL;
  CHECK_OK(tandem_undo_new(&u, d, scope, n, &o, ERR));
  return u;
}

static int text_is(tandem_doc* d, const tandem_container* t, const char* want) {
  tandem_buf b = {NULL, 0};
  if (tandem_text_read(d, t, &b, NULL) != TANDEM_OK) return 0;
  int ok = buf_eq(&b, want);
  tandem_buf_free(&b);
  return ok;
}

static void test_text_undo_redo_keeps_remote_edits(void) {
  tandem_doc *a = new_doc(1), *b = new_doc(2);
  tandem_container root = root_of(a), t;
  CHECK_OK(tandem_map_get_or_create(a, &root, "t", TANDEM_CONTAINER_TEXT, &t, ERR));
  tandem_undo* u = new_undo(a, &t, 1, 0); /* window 0: every transaction is a step */
  CHECK_OK(tandem_text_insert(a, &t, 0, TANDEM_UNIT_UTF8, "hello", 5, ERR));
  CHECK_OK(tandem_text_insert(a, &t, 5, TANDEM_UNIT_UTF8, " world", 6, ERR));
  size_t nu = 0, nr = 0;
  CHECK_OK(tandem_undo_counts(u, &nu, &nr, ERR));
  CHECK(nu == 2 && nr == 0);

  /* A remote peer prepends; undo must leave its text alone. */
  tandem_buf up = {NULL, 0};
  CHECK_OK(tandem_doc_encode_update(a, NULL, 0, &up, ERR));
  CHECK_OK(tandem_doc_apply_update(b, up.data, up.len, "net", NULL, ERR));
  tandem_buf_free(&up);
  tandem_container rb = root_of(b), tb;
  CHECK_OK(tandem_map_get_or_create(b, &rb, "t", TANDEM_CONTAINER_TEXT, &tb, ERR));
  CHECK_OK(tandem_text_insert(b, &tb, 0, TANDEM_UNIT_UTF8, ">> ", 3, ERR));
  CHECK_OK(tandem_doc_encode_update(b, NULL, 0, &up, ERR));
  CHECK_OK(tandem_doc_apply_update(a, up.data, up.len, "net", NULL, ERR));
  tandem_buf_free(&up);
  CHECK(text_is(a, &t, ">> hello world"));

  int changed = -1;
  CHECK_OK(tandem_undo_undo(u, &changed, ERR));
  CHECK(changed == 1 && text_is(a, &t, ">> hello"));
  CHECK_OK(tandem_undo_undo(u, &changed, ERR));
  CHECK(changed == 1 && text_is(a, &t, ">> "));
  CHECK_OK(tandem_undo_undo(u, &changed, ERR));
  CHECK(changed == 0 && text_is(a, &t, ">> ")); /* nothing left: not an error */
  CHECK_OK(tandem_undo_counts(u, &nu, &nr, ERR));
  CHECK(nu == 0 && nr == 2);
  CHECK_OK(tandem_undo_redo(u, &changed, ERR));
  CHECK(changed == 1 && text_is(a, &t, ">> hello"));
  CHECK_OK(tandem_undo_redo(u, NULL, ERR));
  CHECK(text_is(a, &t, ">> hello world"));

  /* Undo of a deletion restores the content. */
  CHECK_OK(tandem_text_delete(a, &t, 3, 6, TANDEM_UNIT_UTF8, ERR));
  CHECK(text_is(a, &t, ">> world"));
  CHECK_OK(tandem_undo_undo(u, &changed, ERR));
  CHECK(changed == 1 && text_is(a, &t, ">> hello world"));
  tandem_undo_free(u);
  tandem_doc_free(a);
  tandem_doc_free(b);
}

static void test_capture_window_scope_and_clear(void) {
  tandem_doc* d = new_doc(3);
  tandem_container root = root_of(d), t, other;
  CHECK_OK(tandem_map_get_or_create(d, &root, "t", TANDEM_CONTAINER_TEXT, &t, ERR));
  CHECK_OK(tandem_map_get_or_create(d, &root, "other", TANDEM_CONTAINER_TEXT, &other, ERR));
  tandem_undo* u = new_undo(d, &t, 1, 60000); /* one long window */
  CHECK_OK(tandem_text_insert(d, &t, 0, TANDEM_UNIT_UTF8, "a", 1, ERR));
  CHECK_OK(tandem_text_insert(d, &t, 1, TANDEM_UNIT_UTF8, "b", 1, ERR));
  size_t nu = 0;
  CHECK_OK(tandem_undo_counts(u, &nu, NULL, ERR));
  CHECK(nu == 1); /* merged into one step */
  CHECK_OK(tandem_undo_stop_capturing(u, ERR));
  CHECK_OK(tandem_text_insert(d, &t, 2, TANDEM_UNIT_UTF8, "c", 1, ERR));
  CHECK_OK(tandem_undo_counts(u, &nu, NULL, ERR));
  CHECK(nu == 2);
  /* Out of scope: not tracked, not undone. */
  CHECK_OK(tandem_text_insert(d, &other, 0, TANDEM_UNIT_UTF8, "x", 1, ERR));
  CHECK_OK(tandem_undo_counts(u, &nu, NULL, ERR));
  CHECK(nu == 2);
  CHECK_OK(tandem_undo_undo(u, NULL, ERR));
  CHECK(text_is(d, &t, "ab") && text_is(d, &other, "x"));
  CHECK_OK(tandem_undo_undo(u, NULL, ERR));
  CHECK(text_is(d, &t, ""));
  /* A map write in a scoped map comes back to the old value. */
  tandem_undo* m = new_undo(d, &root, 1, 0);
  tandem_value v = tandem_value_int(1);
  CHECK_OK(tandem_map_set(d, &root, "k", &v, ERR));
  v = tandem_value_int(2);
  CHECK_OK(tandem_map_set(d, &root, "k", &v, ERR));
  CHECK_OK(tandem_undo_undo(m, NULL, ERR));
  tandem_value out;
  CHECK_OK(tandem_map_get(d, &root, "k", &out, ERR));
  CHECK(out.type == TANDEM_VALUE_INT && out.int_value == 1);
  CHECK_OK(tandem_undo_clear(m, ERR));
  size_t nr = 9;
  CHECK_OK(tandem_undo_counts(m, &nu, &nr, ERR));
  CHECK(nu == 0 && nr == 0);
  tandem_undo_free(m);
  tandem_undo_free(u);
  tandem_doc_free(d);
}

static void test_misuse(void) {
  tandem_doc *d = new_doc(4), *e = new_doc(5);
  tandem_container root = root_of(d), foreign = root_of(e), blank;
  memset(&blank, 0, sizeof blank);
  tandem_undo* u = NULL;
  CHECK_STATUS(tandem_undo_new(NULL, d, &root, 1, NULL, NULL), TANDEM_E_INVALID_ARG);
  CHECK_STATUS(tandem_undo_new(&u, NULL, &root, 1, NULL, NULL), TANDEM_E_INVALID_ARG);
  CHECK_STATUS(tandem_undo_new(&u, d, NULL, 1, NULL, NULL), TANDEM_E_INVALID_ARG);
  CHECK_STATUS(tandem_undo_new(&u, d, &root, 0, NULL, NULL), TANDEM_E_INVALID_ARG);
  CHECK(tandem_undo_new(&u, d, &foreign, 1, NULL, NULL) != TANDEM_OK && u == NULL);
  CHECK(tandem_undo_new(&u, d, &blank, 1, NULL, NULL) != TANDEM_OK && u == NULL);
  tandem_undo_options o;
  tandem_undo_options_init(&o);
  o.struct_size += 8; /* from a newer header */
  CHECK_STATUS(tandem_undo_new(&u, d, &root, 1, &o, NULL), TANDEM_E_VERSION);
  tandem_undo_options_init(NULL);
  CHECK_OK(tandem_undo_new(&u, d, &root, 1, NULL, ERR)); /* NULL options: defaults */

  CHECK_STATUS(tandem_undo_undo(NULL, NULL, NULL), TANDEM_E_INVALID_ARG);
  CHECK_STATUS(tandem_undo_redo(NULL, NULL, NULL), TANDEM_E_INVALID_ARG);
  CHECK_STATUS(tandem_undo_counts(NULL, NULL, NULL, NULL), TANDEM_E_INVALID_ARG);
  CHECK_STATUS(tandem_undo_stop_capturing(NULL, NULL), TANDEM_E_INVALID_ARG);
  CHECK_STATUS(tandem_undo_clear(NULL, NULL), TANDEM_E_INVALID_ARG);
  tandem_undo_free(NULL);

  tandem_value v = tandem_value_int(7);
  CHECK_OK(tandem_map_set(d, &root, "k", &v, ERR));
  CHECK_OK(tandem_doc_begin_transaction(d, NULL, ERR));
  CHECK_STATUS(tandem_undo_undo(u, NULL, NULL), TANDEM_E_BUSY);
  CHECK_STATUS(tandem_undo_redo(u, NULL, NULL), TANDEM_E_BUSY);
  CHECK_OK(tandem_doc_commit_transaction(d, NULL, ERR));

  /* The document goes first: the manager answers CLOSED, then is freed. */
  tandem_doc_free(d);
  int changed = 5;
  CHECK_STATUS(tandem_undo_undo(u, &changed, NULL), TANDEM_E_CLOSED);
  CHECK(changed == 0);
  CHECK_STATUS(tandem_undo_redo(u, NULL, NULL), TANDEM_E_CLOSED);
  CHECK_STATUS(tandem_undo_counts(u, NULL, NULL, NULL), TANDEM_E_CLOSED);
  CHECK_STATUS(tandem_undo_stop_capturing(u, NULL), TANDEM_E_CLOSED);
  CHECK_STATUS(tandem_undo_clear(u, NULL), TANDEM_E_CLOSED);
  tandem_undo_free(u);
  tandem_doc_free(e);
}

int main(void) {
  RUN(test_text_undo_redo_keeps_remote_edits);
  RUN(test_capture_window_scope_and_clear);
  RUN(test_misuse);
  return check_report();
}
