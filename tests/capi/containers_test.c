/* Map, List, Text and Counter through the C API: reads, writes, nesting, and
 * every misuse — wrong container type, out-of-range index, bad UTF-8, bad
 * value types, foreign or uninitialised handles. */
#include "check.h"

static void test_map_set_get_delete(void) {
  tandem_doc *d = new_doc(1);
  tandem_container root = root_of(d);
  tandem_value v = tandem_value_int(5);
  CHECK_OK(tandem_map_set(d, &root, "a", &v, ERR));
  v = tandem_value_string("h\xc3\xa9");
  CHECK_OK(tandem_map_set(d, &root, "b", &v, ERR));
  v = tandem_value_double(1.5);
  CHECK_OK(tandem_map_set(d, &root, "c", &v, ERR));
  v = tandem_value_bool(1);
  CHECK_OK(tandem_map_set(d, &root, "d", &v, ERR));
  v = tandem_value_null();
  CHECK_OK(tandem_map_set(d, &root, "e", &v, ERR));
  v = tandem_value_bytes("\0\1", 2);
  CHECK_OK(tandem_map_set(d, &root, "f", &v, ERR));

  tandem_value out;
  CHECK_OK(tandem_map_get(d, &root, "a", &out, ERR));
  CHECK(out.type == TANDEM_VALUE_INT && out.int_value == 5);
  tandem_value_clear(&out);
  CHECK_OK(tandem_map_get(d, &root, "b", &out, ERR));
  CHECK(out.type == TANDEM_VALUE_STRING && out.len == 3 && strcmp(out.data, "h\xc3\xa9") == 0);
  tandem_value_clear(&out);
  CHECK(out.type == TANDEM_VALUE_NULL && out.data == NULL);
  CHECK_OK(tandem_map_get(d, &root, "c", &out, ERR));
  CHECK(out.type == TANDEM_VALUE_DOUBLE && out.double_value == 1.5);
  CHECK_OK(tandem_map_get(d, &root, "d", &out, ERR));
  CHECK(out.type == TANDEM_VALUE_BOOL && out.bool_value == 1);
  CHECK_OK(tandem_map_get(d, &root, "e", &out, ERR));
  CHECK(out.type == TANDEM_VALUE_NULL);
  CHECK_OK(tandem_map_get(d, &root, "f", &out, ERR));
  CHECK(out.type == TANDEM_VALUE_BYTES && out.len == 2 && out.data[0] == 0 && out.data[1] == 1);
  tandem_value_clear(&out);

  uint64_t n = 0;
  CHECK_OK(tandem_map_len(d, &root, &n, ERR));
  CHECK(n == 6);
  int32_t has = -1;
  CHECK_OK(tandem_map_has(d, &root, "a", &has, ERR));
  CHECK(has == 1);
  CHECK_OK(tandem_map_delete(d, &root, "a", ERR));
  CHECK_OK(tandem_map_has(d, &root, "a", &has, ERR));
  CHECK(has == 0);
  CHECK_FAILS(tandem_map_get(d, &root, "a", &out, ERR), TANDEM_E_NOT_FOUND);
  CHECK_FAILS(tandem_map_delete(d, &root, "a", ERR), TANDEM_E_NOT_FOUND);

  tandem_strings keys = {NULL, 0};
  CHECK_OK(tandem_map_keys(d, &root, &keys, ERR));
  CHECK(keys.count == 5);
  if (keys.count == 5) {
    CHECK(buf_eq(&keys.items[0], "b"));
    CHECK(buf_eq(&keys.items[4], "f"));
  }
  tandem_strings_free(&keys);
  CHECK(keys.items == NULL && keys.count == 0);
  tandem_strings_free(&keys);
  tandem_strings_free(NULL);

  tandem_buf json = {NULL, 0};
  CHECK_OK(tandem_doc_to_json(d, NULL, &json, ERR));
  CHECK(buf_eq(&json, "{\"b\":\"h\xc3\xa9\",\"c\":1.5,\"d\":true,\"e\":null,\"f\":\"AAE=\"}"));
  tandem_buf_free(&json);
  tandem_doc_free(d);
}

static void test_map_errors(void) {
  tandem_doc *d = new_doc(1);
  tandem_container root = root_of(d);
  tandem_value v = tandem_value_string("\xff");
  CHECK_FAILS(tandem_map_set(d, &root, "x", &v, ERR), TANDEM_E_INVALID_ARG);
  v = tandem_value_string("\xed\xa0\x80"); /* a surrogate */
  CHECK_FAILS(tandem_map_set(d, &root, "x", &v, ERR), TANDEM_E_INVALID_ARG);
  v = tandem_value_int(1);
  CHECK_FAILS(tandem_map_set(d, &root, "\xc0\x80", &v, ERR), TANDEM_E_INVALID_ARG); /* overlong */
  CHECK_FAILS(tandem_map_set(d, &root, NULL, &v, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_map_set(d, &root, "x", NULL, ERR), TANDEM_E_INVALID_ARG);
  v.type = 99;
  CHECK_FAILS(tandem_map_set(d, &root, "x", &v, ERR), TANDEM_E_INVALID_ARG);
  v.type = TANDEM_VALUE_CONTAINER;
  CHECK_FAILS(tandem_map_set(d, &root, "x", &v, ERR), TANDEM_E_INVALID_ARG);
  v = tandem_value_bytes(NULL, 3);
  CHECK_FAILS(tandem_map_set(d, &root, "x", &v, ERR), TANDEM_E_INVALID_ARG);
  v = tandem_value_bytes(NULL, 0);
  CHECK_OK(tandem_map_set(d, &root, "empty", &v, ERR));
  tandem_container c;
  CHECK_FAILS(tandem_map_get_or_create(d, &root, "x", 0, &c, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_map_get_or_create(d, &root, "x", 5, &c, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_map_get_or_create(d, &root, "\xff", TANDEM_CONTAINER_MAP, &c, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_map_get_or_create(d, &root, "x", TANDEM_CONTAINER_MAP, NULL, ERR),
              TANDEM_E_INVALID_ARG);
  uint64_t n = 0;
  CHECK_OK(tandem_map_len(d, &root, &n, ERR));
  CHECK(n == 1); /* only "empty": every failed call changed nothing */
  tandem_doc_free(d);
}

static void test_nested_and_paths(void) {
  tandem_doc *d = new_doc(7);
  tandem_container root = root_of(d), shapes, shape, points, title, votes, found;
  CHECK_OK(tandem_map_get_or_create(d, &root, "shapes", TANDEM_CONTAINER_MAP, &shapes, ERR));
  CHECK(shapes.type == TANDEM_CONTAINER_MAP && shapes.doc_id == root.doc_id);
  CHECK_OK(tandem_map_get_or_create(d, &shapes, "s/1", TANDEM_CONTAINER_MAP, &shape, ERR));
  CHECK_OK(tandem_map_get_or_create(d, &shape, "points", TANDEM_CONTAINER_LIST, &points, ERR));
  tandem_value pts[3] = {tandem_value_int(1), tandem_value_int(2), tandem_value_int(3)};
  CHECK_OK(tandem_list_insert(d, &points, 0, pts, 3, ERR));
  CHECK_OK(tandem_list_insert_container(d, &points, 1, TANDEM_CONTAINER_TEXT, &title, ERR));
  CHECK(title.type == TANDEM_CONTAINER_TEXT);
  CHECK_OK(tandem_text_insert(d, &title, 0, TANDEM_UNIT_CODEPOINT, "hi", 2, ERR));
  CHECK_OK(tandem_map_get_or_create(d, &root, "votes", TANDEM_CONTAINER_COUNTER, &votes, ERR));
  CHECK_OK(tandem_counter_add(d, &votes, 3, ERR));
  CHECK_OK(tandem_counter_add(d, &votes, -1, ERR));
  int64_t cv = 0;
  CHECK_OK(tandem_counter_value(d, &votes, &cv, ERR));
  CHECK(cv == 2);

  tandem_buf json = {NULL, 0};
  CHECK_OK(tandem_doc_to_json(d, NULL, &json, ERR));
  CHECK(buf_eq(&json, "{\"shapes\":{\"s/1\":{\"points\":[1,\"hi\",2,3]}},\"votes\":2}"));
  tandem_buf_free(&json);
  CHECK_OK(tandem_doc_to_json(d, &points, &json, ERR));
  CHECK(buf_eq(&json, "[1,\"hi\",2,3]"));
  tandem_buf_free(&json);
  tandem_buf_free(&json);
  tandem_buf_free(NULL);

  /* Values that are containers carry a usable handle. */
  tandem_value out;
  CHECK_OK(tandem_list_get(d, &points, 1, &out, ERR));
  CHECK(out.type == TANDEM_VALUE_CONTAINER && out.container.index == title.index &&
        out.container.doc_id == title.doc_id && out.container.type == TANDEM_CONTAINER_TEXT);
  tandem_value_clear(&out);
  CHECK_OK(tandem_map_get(d, &root, "shapes", &out, ERR));
  CHECK(out.type == TANDEM_VALUE_CONTAINER && out.container.index == shapes.index);
  tandem_value_clear(&out);

  CHECK_OK(tandem_doc_resolve(d, "/shapes/s~11/points", &found, ERR));
  CHECK(found.index == points.index && found.type == TANDEM_CONTAINER_LIST);
  CHECK_OK(tandem_doc_resolve(d, "/shapes/s~11/points/1", &found, ERR));
  CHECK(found.index == title.index);
  CHECK_OK(tandem_doc_resolve(d, "", &found, ERR));
  CHECK(found.index == root.index);
  tandem_buf path = {NULL, 0};
  CHECK_OK(tandem_doc_path_of(d, &title, &path, ERR));
  CHECK(buf_eq(&path, "/shapes/s~11/points/1"));
  tandem_buf_free(&path);
  CHECK_FAILS(tandem_doc_resolve(d, "/nope", &found, ERR), TANDEM_E_NOT_FOUND);
  CHECK_FAILS(tandem_doc_resolve(d, "/shapes/s~11/points/9", &found, ERR), TANDEM_E_NOT_FOUND);
  CHECK_FAILS(tandem_doc_resolve(d, "/shapes/s~11/points/x", &found, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_doc_resolve(d, "nope", &found, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_doc_resolve(d, "/a~2", &found, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_doc_resolve(d, "/votes/x", &found, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_doc_resolve(d, "/\xff", &found, ERR), TANDEM_E_INVALID_ARG);

  /* A container removed from its parent keeps working, unreachable. */
  CHECK_OK(tandem_list_delete(d, &points, 1, 1, ERR));
  CHECK_FAILS(tandem_doc_path_of(d, &title, &path, ERR), TANDEM_E_NOT_FOUND);
  CHECK_OK(tandem_text_insert(d, &title, 2, TANDEM_UNIT_CODEPOINT, "!", 1, ERR));
  tandem_buf t = {NULL, 0};
  CHECK_OK(tandem_text_read(d, &title, &t, ERR));
  CHECK(buf_eq(&t, "hi!"));
  tandem_buf_free(&t);
  tandem_doc_free(d);
}

static void test_wrong_type_and_foreign_handles(void) {
  tandem_doc *d = new_doc(1), *e = new_doc(2);
  tandem_container root = root_of(d), list, text, counter, other_root = root_of(e), bogus;
  CHECK_OK(tandem_map_get_or_create(d, &root, "l", TANDEM_CONTAINER_LIST, &list, ERR));
  CHECK_OK(tandem_map_get_or_create(d, &root, "t", TANDEM_CONTAINER_TEXT, &text, ERR));
  CHECK_OK(tandem_map_get_or_create(d, &root, "c", TANDEM_CONTAINER_COUNTER, &counter, ERR));
  tandem_value v = tandem_value_int(1), out;
  uint64_t n;
  int64_t i64;
  tandem_buf b = {NULL, 0};
  /* Each container kind refused by every other kind's calls. */
  CHECK_FAILS(tandem_map_set(d, &list, "k", &v, ERR), TANDEM_E_TYPE);
  CHECK_FAILS(tandem_map_get(d, &text, "k", &out, ERR), TANDEM_E_TYPE);
  CHECK_FAILS(tandem_map_len(d, &counter, &n, ERR), TANDEM_E_TYPE);
  CHECK_FAILS(tandem_list_push(d, &root, &v, ERR), TANDEM_E_TYPE);
  CHECK_FAILS(tandem_list_len(d, &text, &n, ERR), TANDEM_E_TYPE);
  CHECK_FAILS(tandem_list_get(d, &counter, 0, &out, ERR), TANDEM_E_TYPE);
  CHECK_FAILS(tandem_text_insert(d, &list, 0, TANDEM_UNIT_UTF8, "x", 1, ERR), TANDEM_E_TYPE);
  CHECK_FAILS(tandem_text_read(d, &root, &b, ERR), TANDEM_E_TYPE);
  CHECK_FAILS(tandem_text_len(d, &counter, TANDEM_UNIT_UTF8, &n, ERR), TANDEM_E_TYPE);
  CHECK_FAILS(tandem_counter_add(d, &text, 1, ERR), TANDEM_E_TYPE);
  CHECK_FAILS(tandem_counter_value(d, &list, &i64, ERR), TANDEM_E_TYPE);
  /* The type field of the handle is informational: lying does not help. */
  tandem_container liar = list;
  liar.type = TANDEM_CONTAINER_TEXT;
  CHECK_FAILS(tandem_text_insert(d, &liar, 0, TANDEM_UNIT_UTF8, "x", 1, ERR), TANDEM_E_TYPE);
  /* Handles of another document, uninitialised, or out of range. */
  CHECK_FAILS(tandem_map_set(d, &other_root, "k", &v, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_map_set(e, &root, "k", &v, ERR), TANDEM_E_INVALID_ARG);
  memset(&bogus, 0, sizeof bogus);
  CHECK_FAILS(tandem_map_set(d, &bogus, "k", &v, ERR), TANDEM_E_INVALID_ARG);
  bogus = root;
  bogus.index = 1000000;
  CHECK_FAILS(tandem_map_set(d, &bogus, "k", &v, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_map_set(d, NULL, "k", &v, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_doc_to_json(d, &other_root, &b, ERR), TANDEM_E_INVALID_ARG);
  tandem_doc_free(d);
  tandem_doc_free(e);
}

static void test_list(void) {
  tandem_doc *d = new_doc(1);
  tandem_container root = root_of(d), l, sub;
  CHECK_OK(tandem_map_get_or_create(d, &root, "l", TANDEM_CONTAINER_LIST, &l, ERR));
  tandem_value v = tandem_value_string("b");
  CHECK_OK(tandem_list_push(d, &l, &v, ERR));
  tandem_value vs[2] = {tandem_value_string("a"), tandem_value_bytes("zz", 2)};
  CHECK_OK(tandem_list_insert(d, &l, 0, vs, 2, ERR));
  CHECK_OK(tandem_list_insert(d, &l, 0, NULL, 0, ERR));
  CHECK_OK(tandem_list_insert_container(d, &l, 3, TANDEM_CONTAINER_MAP, &sub, ERR));
  v = tandem_value_int(9);
  CHECK_OK(tandem_map_set(d, &sub, "k", &v, ERR));
  uint64_t n = 0;
  CHECK_OK(tandem_list_len(d, &l, &n, ERR));
  CHECK(n == 4);
  tandem_value out;
  CHECK_OK(tandem_list_get(d, &l, 2, &out, ERR));
  CHECK(out.type == TANDEM_VALUE_STRING && strcmp(out.data, "b") == 0);
  tandem_value_clear(&out);
  tandem_value_clear(&out);
  tandem_value_clear(NULL);
  tandem_buf json = {NULL, 0};
  CHECK_OK(tandem_doc_to_json(d, &l, &json, ERR));
  CHECK(buf_eq(&json, "[\"a\",\"eno=\",\"b\",{\"k\":9}]"));
  tandem_buf_free(&json);
  /* Ranges. */
  CHECK_FAILS(tandem_list_get(d, &l, 4, &out, ERR), TANDEM_E_RANGE);
  CHECK_FAILS(tandem_list_get(d, &l, UINT64_MAX, &out, ERR), TANDEM_E_RANGE);
  CHECK_FAILS(tandem_list_insert(d, &l, 5, vs, 1, ERR), TANDEM_E_RANGE);
  CHECK_FAILS(tandem_list_insert_container(d, &l, 5, TANDEM_CONTAINER_MAP, &sub, ERR),
              TANDEM_E_RANGE);
  CHECK_FAILS(tandem_list_delete(d, &l, 3, 2, ERR), TANDEM_E_RANGE);
  CHECK_FAILS(tandem_list_delete(d, &l, 1, UINT64_MAX, ERR), TANDEM_E_RANGE);
  CHECK_FAILS(tandem_list_delete(d, &l, 5, 0, ERR), TANDEM_E_RANGE);
  /* Bad values: the whole insert is refused. */
  tandem_value bad[2] = {tandem_value_int(1), tandem_value_string("\xc3")};
  CHECK_FAILS(tandem_list_insert(d, &l, 0, bad, 2, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_list_insert(d, &l, 0, NULL, 1, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_list_push(d, &l, NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_list_insert_container(d, &l, 0, 42, &sub, ERR), TANDEM_E_INVALID_ARG);
  CHECK_OK(tandem_list_len(d, &l, &n, ERR));
  CHECK(n == 4);
  CHECK_OK(tandem_list_delete(d, &l, 0, 0, ERR));
  CHECK_OK(tandem_list_delete(d, &l, 1, 2, ERR));
  CHECK_OK(tandem_list_len(d, &l, &n, ERR));
  CHECK(n == 2);
  tandem_doc_free(d);
}

static void test_text_units(void) {
  tandem_doc *d = new_doc(1);
  tandem_container root = root_of(d), t;
  CHECK_OK(tandem_map_get_or_create(d, &root, "t", TANDEM_CONTAINER_TEXT, &t, ERR));
  /* "a" + U+00E9 (2 bytes) + U+1F600 (4 bytes, 2 UTF-16 units) + "b" */
  const char *s = "a\xc3\xa9\xf0\x9f\x98\x80" "b";
  CHECK_OK(tandem_text_insert(d, &t, 0, TANDEM_UNIT_UTF8, s, strlen(s), ERR));
  uint64_t n = 0;
  CHECK_OK(tandem_text_len(d, &t, TANDEM_UNIT_CODEPOINT, &n, ERR));
  CHECK(n == 4);
  CHECK_OK(tandem_text_len(d, &t, TANDEM_UNIT_UTF16, &n, ERR));
  CHECK(n == 5);
  CHECK_OK(tandem_text_len(d, &t, TANDEM_UNIT_UTF8, &n, ERR));
  CHECK(n == 8);
  CHECK_OK(tandem_text_convert_index(d, &t, 3, TANDEM_UNIT_CODEPOINT, TANDEM_UNIT_UTF16, &n, ERR));
  CHECK(n == 4);
  CHECK_OK(tandem_text_convert_index(d, &t, 7, TANDEM_UNIT_UTF8, TANDEM_UNIT_CODEPOINT, &n, ERR));
  CHECK(n == 3);
  /* Insert after the emoji counted in UTF-16, delete it counted in bytes. */
  CHECK_OK(tandem_text_insert(d, &t, 4, TANDEM_UNIT_UTF16, "X", 1, ERR));
  CHECK_OK(tandem_text_delete(d, &t, 3, 4, TANDEM_UNIT_UTF8, ERR));
  tandem_buf b = {NULL, 0};
  CHECK_OK(tandem_text_read(d, &t, &b, ERR));
  CHECK(buf_eq(&b, "a\xc3\xa9Xb"));
  tandem_buf_free(&b);
  CHECK_OK(tandem_text_insert(d, &t, 0, TANDEM_UNIT_UTF8, NULL, 0, ERR));
  /* Embedded NUL is a character like any other. */
  CHECK_OK(tandem_text_insert(d, &t, 0, TANDEM_UNIT_UTF8, "\0", 1, ERR));
  CHECK_OK(tandem_text_len(d, &t, TANDEM_UNIT_CODEPOINT, &n, ERR));
  CHECK(n == 5);
  CHECK_OK(tandem_text_delete(d, &t, 0, 1, TANDEM_UNIT_CODEPOINT, ERR));

  /* Errors: bad UTF-8 of every kind, split positions, ranges, bad units. */
  CHECK_FAILS(tandem_text_insert(d, &t, 0, TANDEM_UNIT_UTF8, "\xff", 1, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_text_insert(d, &t, 0, TANDEM_UNIT_UTF8, "\xc3", 1, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_text_insert(d, &t, 0, TANDEM_UNIT_UTF8, "\xed\xa0\x80", 3, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_text_insert(d, &t, 0, TANDEM_UNIT_UTF8, "\xc0\xaf", 2, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_text_insert(d, &t, 0, TANDEM_UNIT_UTF8, "\xf4\x90\x80\x80", 4, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_text_insert(d, &t, 0, TANDEM_UNIT_UTF8, NULL, 1, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_text_insert(d, &t, 2, TANDEM_UNIT_UTF8, "x", 1, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_text_insert(d, &t, 99, TANDEM_UNIT_UTF8, "x", 1, ERR), TANDEM_E_RANGE);
  CHECK_FAILS(tandem_text_insert(d, &t, 0, 7, "x", 1, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_text_delete(d, &t, 0, 99, TANDEM_UNIT_CODEPOINT, ERR), TANDEM_E_RANGE);
  CHECK_FAILS(tandem_text_delete(d, &t, 99, 0, TANDEM_UNIT_CODEPOINT, ERR), TANDEM_E_RANGE);
  CHECK_FAILS(tandem_text_delete(d, &t, 1, UINT64_MAX, TANDEM_UNIT_CODEPOINT, ERR), TANDEM_E_RANGE);
  CHECK_FAILS(tandem_text_delete(d, &t, 1, 1, TANDEM_UNIT_UTF8, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_text_delete(d, &t, 0, 1, -1, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_text_len(d, &t, 3, &n, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_text_convert_index(d, &t, 99, TANDEM_UNIT_UTF8, TANDEM_UNIT_UTF16, &n, ERR),
              TANDEM_E_RANGE);
  CHECK_FAILS(tandem_text_convert_index(d, &t, 2, TANDEM_UNIT_UTF8, TANDEM_UNIT_UTF16, &n, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_text_convert_index(d, &t, 0, TANDEM_UNIT_UTF8, 9, &n, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_text_convert_index(d, &t, 0, TANDEM_UNIT_UTF8, TANDEM_UNIT_UTF16, NULL, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_OK(tandem_text_read(d, &t, &b, ERR));
  CHECK(buf_eq(&b, "a\xc3\xa9Xb"));
  tandem_buf_free(&b);
  tandem_doc_free(d);
}

static void test_counter(void) {
  tandem_doc *d = new_doc(1);
  tandem_container root = root_of(d), c;
  CHECK_OK(tandem_map_get_or_create(d, &root, "c", TANDEM_CONTAINER_COUNTER, &c, ERR));
  CHECK_OK(tandem_counter_add(d, &c, INT64_MAX, ERR));
  CHECK_OK(tandem_counter_add(d, &c, 2, ERR)); /* wraps, the same on every replica */
  int64_t v = 0;
  CHECK_OK(tandem_counter_value(d, &c, &v, ERR));
  CHECK(v == INT64_MIN + 1);
  CHECK_FAILS(tandem_counter_value(d, &c, NULL, ERR), TANDEM_E_INVALID_ARG);
  tandem_doc_free(d);
}

static void test_depth_limit(void) {
  tandem_doc_options o;
  tandem_doc_options_init(&o);
  o.max_depth = 2;
  tandem_doc *d = NULL;
  CHECK_OK(tandem_doc_new(&d, 1, &o, ERR));
  tandem_container root = root_of(d), a, b, c;
  CHECK_OK(tandem_map_get_or_create(d, &root, "a", TANDEM_CONTAINER_MAP, &a, ERR));
  CHECK_OK(tandem_map_get_or_create(d, &a, "b", TANDEM_CONTAINER_LIST, &b, ERR));
  CHECK_FAILS(tandem_list_insert_container(d, &b, 0, TANDEM_CONTAINER_MAP, &c, ERR),
              TANDEM_E_LIMIT);
  tandem_doc_free(d);
}

int main(void) {
  RUN(test_map_set_get_delete);
  RUN(test_map_errors);
  RUN(test_nested_and_paths);
  RUN(test_wrong_type_and_foreign_handles);
  RUN(test_list);
  RUN(test_text_units);
  RUN(test_counter);
  RUN(test_depth_limit);
  return check_report();
}
