/* Documents through the C API: lifetime and options, transactions, version
 * vectors, updates, snapshots, sticky positions — and malformed bytes of
 * every kind refused with the document unchanged. */
#include "check.h"

static void sync_docs(tandem_doc *a, tandem_doc *b) {
  tandem_buf va = {NULL, 0}, vb = {NULL, 0}, u = {NULL, 0};
  CHECK_OK(tandem_doc_version(a, &va, ERR));
  CHECK_OK(tandem_doc_version(b, &vb, ERR));
  CHECK_OK(tandem_doc_encode_update(a, vb.data, vb.len, &u, ERR));
  CHECK_OK(tandem_doc_apply_update(b, u.data, u.len, NULL, NULL, ERR));
  tandem_buf_free(&u);
  CHECK_OK(tandem_doc_encode_update(b, va.data, va.len, &u, ERR));
  CHECK_OK(tandem_doc_apply_update(a, u.data, u.len, "net", NULL, ERR));
  tandem_buf_free(&u);
  tandem_buf_free(&va);
  tandem_buf_free(&vb);
}

static int same_json(tandem_doc *a, tandem_doc *b) {
  tandem_buf ja = {NULL, 0}, jb = {NULL, 0};
  tandem_doc_to_json(a, NULL, &ja, NULL);
  tandem_doc_to_json(b, NULL, &jb, NULL);
  int same = ja.len == jb.len && memcmp(ja.data, jb.data, ja.len) == 0;
  tandem_buf_free(&ja);
  tandem_buf_free(&jb);
  return same;
}

static void test_version_and_status(void) {
  CHECK(tandem_version() == TANDEM_VERSION_NUMBER);
  CHECK(strcmp(tandem_version_string(), TANDEM_VERSION_STRING) == 0);
  CHECK(strcmp(tandem_status_str(TANDEM_OK), "ok") == 0);
  CHECK(strcmp(tandem_status_str(12345), "unknown status") == 0);
  for (int s = 0; s >= TANDEM_E_RANGE; --s) CHECK(strcmp(tandem_status_str(s), "unknown status") != 0);
  tandem_error e = {0, NULL};
  tandem_doc *d = NULL;
  CHECK(tandem_doc_new(NULL, 1, NULL, &e) == TANDEM_E_INVALID_ARG);
  CHECK(e.code == TANDEM_E_INVALID_ARG && e.message && strlen(e.message) > 0);
  /* A second failure replaces the message (no leak: checked under LSan). */
  CHECK(tandem_doc_new_from_snapshot(&d, (const uint8_t *)"x", 1, 1, NULL, &e) == TANDEM_E_PROTOCOL);
  CHECK(d == NULL && e.code == TANDEM_E_PROTOCOL && e.message);
  tandem_error_clear(&e);
  CHECK(e.code == TANDEM_OK && e.message == NULL);
  tandem_error_clear(&e);
  tandem_error_clear(NULL);
  /* Success leaves the error untouched. */
  CHECK(tandem_doc_new(&d, 1, NULL, &e) == TANDEM_OK && e.message == NULL);
  tandem_doc_free(d);
  tandem_doc_free(NULL);
}

static void test_options_and_peers(void) {
  tandem_doc_options o;
  tandem_doc_options_init(&o);
  tandem_doc_options_init(NULL);
  CHECK(o.struct_size == sizeof o && o.max_depth == 100);
  tandem_doc *d = NULL;
  CHECK_OK(tandem_doc_new(&d, 42, &o, ERR));
  uint64_t peer = 0;
  CHECK_OK(tandem_doc_peer_id(d, &peer, ERR));
  CHECK(peer == 42);
  tandem_doc_free(d);
  d = NULL;
  CHECK_OK(tandem_doc_new(&d, TANDEM_PEER_RANDOM, NULL, ERR));
  CHECK_OK(tandem_doc_peer_id(d, &peer, ERR));
  CHECK(peer != 0);
  tandem_doc_free(d);
  o.struct_size = 0; /* not initialised */
  d = (tandem_doc *)&o;
  CHECK_FAILS(tandem_doc_new(&d, 1, &o, ERR), TANDEM_E_INVALID_ARG);
  CHECK(d == NULL);
  o.struct_size = sizeof o + 8; /* from a newer header */
  CHECK_FAILS(tandem_doc_new(&d, 1, &o, ERR), TANDEM_E_VERSION);
}

static void test_transactions(void) {
  tandem_doc *a = new_doc(1), *b = new_doc(2);
  tandem_container root = root_of(a), t;
  int32_t in = -1;
  CHECK_OK(tandem_doc_in_transaction(a, &in, ERR));
  CHECK(in == 0);
  CHECK_OK(tandem_doc_begin_transaction(a, "typing", ERR));
  CHECK_OK(tandem_doc_in_transaction(a, &in, ERR));
  CHECK(in == 1);
  CHECK_FAILS(tandem_doc_begin_transaction(a, "again", ERR), TANDEM_E_INVALID_ARG);
  CHECK_OK(tandem_map_get_or_create(a, &root, "t", TANDEM_CONTAINER_TEXT, &t, ERR));
  CHECK_OK(tandem_text_insert(a, &t, 0, TANDEM_UNIT_UTF8, "hello", 5, ERR));
  /* Applying updates is not allowed inside a transaction. */
  tandem_buf u = {NULL, 0};
  CHECK_OK(tandem_doc_encode_update(b, NULL, 0, &u, ERR));
  CHECK_FAILS(tandem_doc_apply_update(a, u.data, u.len, NULL, NULL, ERR), TANDEM_E_INVALID_ARG);
  tandem_buf_free(&u);
  CHECK_OK(tandem_doc_commit_transaction(a, &u, ERR));
  CHECK(u.len > 0);
  CHECK_FAILS(tandem_doc_commit_transaction(a, NULL, ERR), TANDEM_E_INVALID_ARG);
  tandem_apply_result r;
  tandem_apply_result_init(&r);
  tandem_apply_result_init(NULL);
  CHECK_OK(tandem_doc_apply_update(b, u.data, u.len, "net", &r, ERR));
  CHECK(r.applied_ops > 0 && r.pending_ops == 0 && r.dropped_ops == 0);
  CHECK(same_json(a, b));
  tandem_buf_free(&u);
  /* An empty transaction makes an empty update. */
  CHECK_OK(tandem_doc_begin_transaction(a, NULL, ERR));
  CHECK_OK(tandem_doc_commit_transaction(a, &u, ERR));
  CHECK(u.len == 0);
  tandem_buf_free(&u);
  CHECK_FAILS(tandem_doc_begin_transaction(a, "\xff", ERR), TANDEM_E_INVALID_ARG);
  tandem_doc_free(a);
  tandem_doc_free(b);
}

static void test_sync_and_version_vectors(void) {
  tandem_doc *a = new_doc(1), *b = new_doc(2);
  tandem_container ra = root_of(a), rb = root_of(b), la, lb;
  CHECK_OK(tandem_map_get_or_create(a, &ra, "items", TANDEM_CONTAINER_LIST, &la, ERR));
  CHECK_OK(tandem_map_get_or_create(b, &rb, "items", TANDEM_CONTAINER_LIST, &lb, ERR));
  tandem_value v = tandem_value_string("from a");
  CHECK_OK(tandem_list_push(a, &la, &v, ERR));
  v = tandem_value_string("from b");
  CHECK_OK(tandem_list_push(b, &lb, &v, ERR));
  sync_docs(a, b);
  CHECK(same_json(a, b));
  uint64_t n = 0;
  CHECK_OK(tandem_list_len(a, &la, &n, ERR));
  CHECK(n == 2);

  /* Version vector bytes: 16 bytes per peer, sorted, little-endian. */
  tandem_buf vv = {NULL, 0};
  CHECK_OK(tandem_doc_version(a, &vv, ERR));
  CHECK(vv.len == 32);
  if (vv.len == 32) {
    CHECK(vv.data[0] == 1 && vv.data[16] == 2);
    CHECK(vv.data[8] > 0 && vv.data[24] > 0);
  }
  /* Nothing new since our own version. */
  tandem_buf u = {NULL, 0};
  CHECK_OK(tandem_doc_encode_update(a, vv.data, vv.len, &u, ERR));
  tandem_apply_result r;
  tandem_apply_result_init(&r);
  CHECK_OK(tandem_doc_apply_update(b, u.data, u.len, NULL, &r, ERR));
  CHECK(r.applied_ops == 0);
  tandem_buf_free(&u);
  /* Malformed version vectors. */
  CHECK_FAILS(tandem_doc_encode_update(a, vv.data, 15, &u, ERR), TANDEM_E_PROTOCOL);
  uint8_t swapped[32];
  if (vv.len == 32) {
    memcpy(swapped, vv.data + 16, 16);
    memcpy(swapped + 16, vv.data, 16);
    CHECK_FAILS(tandem_doc_encode_update(a, swapped, 32, &u, ERR), TANDEM_E_PROTOCOL);
    memcpy(swapped, vv.data, 32);
    memset(swapped + 8, 0, 8); /* counter 0 */
    CHECK_FAILS(tandem_doc_encode_update(a, swapped, 32, &u, ERR), TANDEM_E_PROTOCOL);
  }
  CHECK_FAILS(tandem_doc_encode_update(a, NULL, 16, &u, ERR), TANDEM_E_INVALID_ARG);
  tandem_buf_free(&vv);

  /* Malformed updates: refused whole, nothing changed. */
  CHECK_OK(tandem_doc_encode_update(a, NULL, 0, &u, ERR));
  tandem_doc *c = new_doc(3);
  CHECK_FAILS(tandem_doc_apply_update(c, u.data, u.len / 2, NULL, NULL, ERR), TANDEM_E_PROTOCOL);
  CHECK_FAILS(tandem_doc_apply_update(c, (const uint8_t *)"\xff\xff\xff", 3, NULL, NULL, ERR),
              TANDEM_E_PROTOCOL);
  CHECK_FAILS(tandem_doc_apply_update(c, NULL, 4, NULL, NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_doc_apply_update(c, u.data, u.len, "\xfe", NULL, ERR), TANDEM_E_INVALID_ARG);
  tandem_apply_result small;
  tandem_apply_result_init(&small);
  small.struct_size = 4;
  CHECK_FAILS(tandem_doc_apply_update(c, u.data, u.len, NULL, &small, ERR), TANDEM_E_INVALID_ARG);
  tandem_buf j = {NULL, 0};
  CHECK_OK(tandem_doc_to_json(c, NULL, &j, ERR));
  CHECK(buf_eq(&j, "{}"));
  tandem_buf_free(&j);
  /* An update too large for the document's limit. */
  tandem_doc_options o;
  tandem_doc_options_init(&o);
  o.max_update_bytes = 4;
  tandem_doc *tiny = NULL;
  CHECK_OK(tandem_doc_new(&tiny, 4, &o, ERR));
  CHECK_FAILS(tandem_doc_apply_update(tiny, u.data, u.len, NULL, NULL, ERR), TANDEM_E_LIMIT);
  tandem_doc_free(tiny);
  /* Empty bytes are no update at all (no format version). */
  CHECK_FAILS(tandem_doc_apply_update(c, NULL, 0, NULL, NULL, ERR), TANDEM_E_VERSION);
  tandem_buf_free(&u);

  /* Pending: an update whose dependencies are missing waits. */
  tandem_buf u1 = {NULL, 0}, u2 = {NULL, 0};
  tandem_container t;
  CHECK_OK(tandem_doc_begin_transaction(a, NULL, ERR));
  CHECK_OK(tandem_map_get_or_create(a, &ra, "t", TANDEM_CONTAINER_TEXT, &t, ERR));
  CHECK_OK(tandem_text_insert(a, &t, 0, TANDEM_UNIT_UTF8, "ab", 2, ERR));
  CHECK_OK(tandem_doc_commit_transaction(a, &u1, ERR));
  CHECK_OK(tandem_doc_begin_transaction(a, NULL, ERR));
  CHECK_OK(tandem_text_insert(a, &t, 2, TANDEM_UNIT_UTF8, "cd", 2, ERR));
  CHECK_OK(tandem_doc_commit_transaction(a, &u2, ERR));
  CHECK_OK(tandem_doc_apply_update(b, u2.data, u2.len, NULL, NULL, ERR));
  uint64_t pending = 0;
  CHECK_OK(tandem_doc_pending_ops(b, &pending, ERR));
  CHECK(pending > 0);
  CHECK_OK(tandem_doc_apply_update(b, u1.data, u1.len, NULL, NULL, ERR));
  CHECK_OK(tandem_doc_pending_ops(b, &pending, ERR));
  CHECK(pending == 0);
  CHECK(same_json(a, b));
  tandem_buf_free(&u1);
  tandem_buf_free(&u2);
  tandem_doc_free(a);
  tandem_doc_free(b);
  tandem_doc_free(c);
}

static void test_snapshots_and_memory(void) {
  tandem_doc *a = new_doc(1), *b = NULL;
  tandem_container r = root_of(a), t;
  CHECK_OK(tandem_map_get_or_create(a, &r, "t", TANDEM_CONTAINER_TEXT, &t, ERR));
  CHECK_OK(tandem_text_insert(a, &t, 0, TANDEM_UNIT_UTF8, "snap", 4, ERR));
  tandem_buf s = {NULL, 0}, s2 = {NULL, 0};
  CHECK_OK(tandem_doc_encode_snapshot(a, &s, ERR));
  CHECK_OK(tandem_doc_new_from_snapshot(&b, s.data, s.len, 9, NULL, ERR));
  CHECK(b != NULL && same_json(a, b));
  CHECK_OK(tandem_doc_encode_snapshot(b, &s2, ERR));
  CHECK(s.len == s2.len && memcmp(s.data, s2.data, s.len) == 0);
  uint64_t peer = 0, mem = 0;
  CHECK_OK(tandem_doc_peer_id(b, &peer, ERR));
  CHECK(peer == 9);
  CHECK_OK(tandem_doc_memory_usage(a, &mem, ERR));
  CHECK(mem > 0);
  tandem_doc *c = (tandem_doc *)&s;
  CHECK_FAILS(tandem_doc_new_from_snapshot(&c, s.data, s.len - 1, 9, NULL, ERR), TANDEM_E_PROTOCOL);
  CHECK(c == NULL);
  CHECK_FAILS(tandem_doc_new_from_snapshot(&c, NULL, 5, 9, NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_doc_new_from_snapshot(NULL, s.data, s.len, 9, NULL, ERR), TANDEM_E_INVALID_ARG);
  tandem_buf_free(&s);
  tandem_buf_free(&s2);
  tandem_doc_free(a);
  tandem_doc_free(b);
}

static void test_sticky_positions(void) {
  tandem_doc *a = new_doc(1), *b = new_doc(2);
  tandem_container r = root_of(a), t, l, m;
  CHECK_OK(tandem_map_get_or_create(a, &r, "t", TANDEM_CONTAINER_TEXT, &t, ERR));
  CHECK_OK(tandem_map_get_or_create(a, &r, "l", TANDEM_CONTAINER_LIST, &l, ERR));
  CHECK_OK(tandem_map_get_or_create(a, &r, "m", TANDEM_CONTAINER_MAP, &m, ERR));
  const char *s = "\xf0\x9f\x98\x80xy"; /* emoji (2 UTF-16 units) then "xy" */
  CHECK_OK(tandem_text_insert(a, &t, 0, TANDEM_UNIT_UTF8, s, strlen(s), ERR));
  tandem_sticky p;
  /* Before "x": UTF-16 index 2. */
  CHECK_OK(tandem_doc_sticky_at(a, &t, 2, TANDEM_UNIT_UTF16, TANDEM_ASSOC_BEFORE, &p, ERR));
  CHECK(p.has_item == 1 && p.container.index == t.index);
  CHECK_OK(tandem_text_insert(a, &t, 0, TANDEM_UNIT_UTF8, "ab", 2, ERR));
  uint64_t idx = 0;
  CHECK_OK(tandem_doc_sticky_resolve(a, &p, TANDEM_UNIT_UTF16, &idx, ERR));
  CHECK(idx == 4);
  CHECK_OK(tandem_doc_sticky_resolve(a, &p, TANDEM_UNIT_UTF8, &idx, ERR));
  CHECK(idx == 6);
  /* Encoded, sent to another replica, resolved there. */
  sync_docs(a, b);
  tandem_buf enc = {NULL, 0};
  CHECK_OK(tandem_doc_sticky_encode(a, &p, &enc, ERR));
  tandem_sticky q;
  CHECK_OK(tandem_doc_sticky_decode(b, enc.data, enc.len, &q, ERR));
  CHECK_OK(tandem_doc_sticky_resolve(b, &q, TANDEM_UNIT_CODEPOINT, &idx, ERR));
  CHECK(idx == 3);
  /* Malformed position bytes, and a position of a document b lacks. */
  CHECK_FAILS(tandem_doc_sticky_decode(b, enc.data, enc.len - 1, &q, ERR), TANDEM_E_PROTOCOL);
  CHECK_FAILS(tandem_doc_sticky_decode(b, NULL, 3, &q, ERR), TANDEM_E_INVALID_ARG);
  tandem_doc *c = new_doc(3);
  tandem_container rc = root_of(c), tc;
  CHECK_OK(tandem_map_get_or_create(c, &rc, "other", TANDEM_CONTAINER_TEXT, &tc, ERR));
  /* A map child is named by its key, so c knows the text "t" (empty there),
   * but not the element the position is anchored to. */
  CHECK_OK(tandem_doc_sticky_decode(c, enc.data, enc.len, &q, ERR));
  CHECK_FAILS(tandem_doc_sticky_resolve(c, &q, TANDEM_UNIT_CODEPOINT, &idx, ERR),
              TANDEM_E_INVALID_ARG);
  tandem_buf_free(&enc);
  /* A list-made container c has never seen is not in c at all. */
  tandem_container l2, lt;
  CHECK_OK(tandem_map_get_or_create(a, &r, "l2", TANDEM_CONTAINER_LIST, &l2, ERR));
  CHECK_OK(tandem_list_insert_container(a, &l2, 0, TANDEM_CONTAINER_TEXT, &lt, ERR));
  CHECK_OK(tandem_doc_sticky_at(a, &lt, 0, TANDEM_UNIT_CODEPOINT, TANDEM_ASSOC_BEFORE, &q, ERR));
  CHECK_OK(tandem_doc_sticky_encode(a, &q, &enc, ERR));
  CHECK_FAILS(tandem_doc_sticky_decode(c, enc.data, enc.len, &q, ERR), TANDEM_E_INVALID_ARG);
  tandem_buf_free(&enc);
  /* A position from another document is refused. */
  CHECK_FAILS(tandem_doc_sticky_resolve(c, &p, TANDEM_UNIT_CODEPOINT, &idx, ERR),
              TANDEM_E_INVALID_ARG);
  /* Lists count elements; the end position. */
  tandem_value vs[2] = {tandem_value_int(1), tandem_value_int(2)};
  CHECK_OK(tandem_list_insert(a, &l, 0, vs, 2, ERR));
  CHECK_OK(tandem_doc_sticky_at(a, &l, 2, TANDEM_UNIT_CODEPOINT, TANDEM_ASSOC_BEFORE, &p, ERR));
  CHECK(p.has_item == 0);
  CHECK_OK(tandem_list_push(a, &l, &vs[0], ERR));
  CHECK_OK(tandem_doc_sticky_resolve(a, &p, TANDEM_UNIT_CODEPOINT, &idx, ERR));
  CHECK(idx == 3);
  CHECK_OK(tandem_doc_sticky_at(a, &l, 1, TANDEM_UNIT_CODEPOINT, TANDEM_ASSOC_AFTER, &p, ERR));
  CHECK_OK(tandem_list_insert(a, &l, 1, vs, 1, ERR));
  CHECK_OK(tandem_doc_sticky_resolve(a, &p, TANDEM_UNIT_CODEPOINT, &idx, ERR));
  CHECK(idx == 1);
  /* Errors. */
  CHECK_FAILS(tandem_doc_sticky_at(a, &m, 0, TANDEM_UNIT_CODEPOINT, TANDEM_ASSOC_AFTER, &p, ERR),
              TANDEM_E_TYPE);
  CHECK_FAILS(tandem_doc_sticky_at(a, &t, 99, TANDEM_UNIT_CODEPOINT, TANDEM_ASSOC_AFTER, &p, ERR),
              TANDEM_E_RANGE);
  CHECK_FAILS(tandem_doc_sticky_at(a, &l, 99, TANDEM_UNIT_CODEPOINT, TANDEM_ASSOC_AFTER, &p, ERR),
              TANDEM_E_RANGE);
  CHECK_FAILS(tandem_doc_sticky_at(a, &t, 3, TANDEM_UNIT_UTF16, TANDEM_ASSOC_AFTER, &p, ERR),
              TANDEM_E_INVALID_ARG); /* "ab" then the emoji: UTF-16 index 3 splits it */
  CHECK_FAILS(tandem_doc_sticky_at(a, &t, 0, TANDEM_UNIT_CODEPOINT, 7, &p, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_doc_sticky_at(a, &t, 0, 9, TANDEM_ASSOC_AFTER, &p, ERR), TANDEM_E_INVALID_ARG);
  CHECK_OK(tandem_doc_sticky_at(a, &t, 0, TANDEM_UNIT_CODEPOINT, TANDEM_ASSOC_AFTER, &p, ERR));
  p.assoc = 5;
  CHECK_FAILS(tandem_doc_sticky_resolve(a, &p, TANDEM_UNIT_CODEPOINT, &idx, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_doc_sticky_encode(a, &p, &enc, ERR), TANDEM_E_INVALID_ARG);
  p.assoc = TANDEM_ASSOC_BEFORE;
  p.has_item = 1;
  p.item_peer = 77;
  p.item_counter = 5;
  CHECK_FAILS(tandem_doc_sticky_resolve(a, &p, TANDEM_UNIT_CODEPOINT, &idx, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_doc_sticky_resolve(a, NULL, TANDEM_UNIT_CODEPOINT, &idx, ERR),
              TANDEM_E_INVALID_ARG);
  tandem_doc_free(a);
  tandem_doc_free(b);
  tandem_doc_free(c);
}

int main(void) {
  RUN(test_version_and_status);
  RUN(test_options_and_peers);
  RUN(test_transactions);
  RUN(test_sync_and_version_vectors);
  RUN(test_snapshots_and_memory);
  RUN(test_sticky_positions);
  return check_report();
}
