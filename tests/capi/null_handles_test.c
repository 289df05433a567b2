/* Every entry point given NULL handles and NULL required pointers: an
 * INVALID_ARG status with a message, never a crash; every free function is
 * NULL-safe. */
#include "check.h"

#define NULL_ARG(call) CHECK_FAILS(call, TANDEM_E_INVALID_ARG)

static void test_null_doc_handle(void) {
  tandem_container c;
  memset(&c, 0, sizeof c);
  tandem_value v = tandem_value_int(1), out;
  tandem_buf b = {NULL, 0};
  tandem_strings keys = {NULL, 0};
  uint64_t u64;
  int64_t i64;
  int32_t i32;
  tandem_sticky p;
  memset(&p, 0, sizeof p);
  NULL_ARG(tandem_doc_peer_id(NULL, &u64, ERR));
  NULL_ARG(tandem_doc_root(NULL, &c, ERR));
  NULL_ARG(tandem_doc_begin_transaction(NULL, "o", ERR));
  NULL_ARG(tandem_doc_commit_transaction(NULL, &b, ERR));
  NULL_ARG(tandem_doc_in_transaction(NULL, &i32, ERR));
  NULL_ARG(tandem_map_get(NULL, &c, "k", &out, ERR));
  NULL_ARG(tandem_map_has(NULL, &c, "k", &i32, ERR));
  NULL_ARG(tandem_map_set(NULL, &c, "k", &v, ERR));
  NULL_ARG(tandem_map_delete(NULL, &c, "k", ERR));
  NULL_ARG(tandem_map_len(NULL, &c, &u64, ERR));
  NULL_ARG(tandem_map_keys(NULL, &c, &keys, ERR));
  NULL_ARG(tandem_map_get_or_create(NULL, &c, "k", TANDEM_CONTAINER_MAP, &c, ERR));
  NULL_ARG(tandem_list_len(NULL, &c, &u64, ERR));
  NULL_ARG(tandem_list_get(NULL, &c, 0, &out, ERR));
  NULL_ARG(tandem_list_insert(NULL, &c, 0, &v, 1, ERR));
  NULL_ARG(tandem_list_push(NULL, &c, &v, ERR));
  NULL_ARG(tandem_list_delete(NULL, &c, 0, 1, ERR));
  NULL_ARG(tandem_list_insert_container(NULL, &c, 0, TANDEM_CONTAINER_MAP, &c, ERR));
  NULL_ARG(tandem_text_len(NULL, &c, TANDEM_UNIT_UTF8, &u64, ERR));
  NULL_ARG(tandem_text_read(NULL, &c, &b, ERR));
  NULL_ARG(tandem_text_insert(NULL, &c, 0, TANDEM_UNIT_UTF8, "x", 1, ERR));
  NULL_ARG(tandem_text_delete(NULL, &c, 0, 1, TANDEM_UNIT_UTF8, ERR));
  NULL_ARG(tandem_text_convert_index(NULL, &c, 0, TANDEM_UNIT_UTF8, TANDEM_UNIT_UTF16, &u64, ERR));
  NULL_ARG(tandem_counter_add(NULL, &c, 1, ERR));
  NULL_ARG(tandem_counter_value(NULL, &c, &i64, ERR));
  NULL_ARG(tandem_doc_to_json(NULL, NULL, &b, ERR));
  NULL_ARG(tandem_doc_resolve(NULL, "", &c, ERR));
  NULL_ARG(tandem_doc_path_of(NULL, &c, &b, ERR));
  NULL_ARG(tandem_doc_unobserve(NULL, 1, ERR));
  NULL_ARG(tandem_doc_set_update_listener(NULL, NULL, NULL, NULL, ERR));
  NULL_ARG(tandem_doc_version(NULL, &b, ERR));
  NULL_ARG(tandem_doc_encode_update(NULL, NULL, 0, &b, ERR));
  NULL_ARG(tandem_doc_apply_update(NULL, (const uint8_t *)"x", 1, NULL, NULL, ERR));
  NULL_ARG(tandem_doc_pending_ops(NULL, &u64, ERR));
  NULL_ARG(tandem_doc_encode_snapshot(NULL, &b, ERR));
  NULL_ARG(tandem_doc_memory_usage(NULL, &u64, ERR));
  NULL_ARG(tandem_doc_sticky_at(NULL, &c, 0, TANDEM_UNIT_UTF8, TANDEM_ASSOC_AFTER, &p, ERR));
  NULL_ARG(tandem_doc_sticky_resolve(NULL, &p, TANDEM_UNIT_UTF8, &u64, ERR));
  NULL_ARG(tandem_doc_sticky_encode(NULL, &p, &b, ERR));
  NULL_ARG(tandem_doc_sticky_decode(NULL, (const uint8_t *)"x", 1, &p, ERR));
  /* Without an error out-param, the status alone. */
  CHECK(tandem_map_set(NULL, &c, "k", &v, NULL) == TANDEM_E_INVALID_ARG);
  CHECK(b.data == NULL && keys.items == NULL);
}

static void test_null_out_params(void) {
  tandem_doc *d = new_doc(1);
  tandem_container r = root_of(d), t, l, cnt;
  tandem_map_get_or_create(d, &r, "t", TANDEM_CONTAINER_TEXT, &t, NULL);
  tandem_map_get_or_create(d, &r, "l", TANDEM_CONTAINER_LIST, &l, NULL);
  tandem_map_get_or_create(d, &r, "c", TANDEM_CONTAINER_COUNTER, &cnt, NULL);
  tandem_value v = tandem_value_int(1);
  tandem_map_set(d, &r, "k", &v, NULL);
  tandem_list_push(d, &l, &v, NULL);
  tandem_sticky p;
  tandem_doc_sticky_at(d, &t, 0, TANDEM_UNIT_UTF8, TANDEM_ASSOC_AFTER, &p, NULL);
  NULL_ARG(tandem_doc_peer_id(d, NULL, ERR));
  NULL_ARG(tandem_doc_root(d, NULL, ERR));
  NULL_ARG(tandem_doc_in_transaction(d, NULL, ERR));
  NULL_ARG(tandem_map_get(d, &r, "k", NULL, ERR));
  NULL_ARG(tandem_map_get(d, &r, NULL, &v, ERR));
  NULL_ARG(tandem_map_has(d, &r, "k", NULL, ERR));
  NULL_ARG(tandem_map_delete(d, &r, NULL, ERR));
  NULL_ARG(tandem_map_len(d, &r, NULL, ERR));
  NULL_ARG(tandem_map_keys(d, &r, NULL, ERR));
  NULL_ARG(tandem_list_len(d, &l, NULL, ERR));
  NULL_ARG(tandem_list_get(d, &l, 0, NULL, ERR));
  NULL_ARG(tandem_list_insert_container(d, &l, 0, TANDEM_CONTAINER_MAP, NULL, ERR));
  NULL_ARG(tandem_text_len(d, &t, TANDEM_UNIT_UTF8, NULL, ERR));
  NULL_ARG(tandem_text_read(d, &t, NULL, ERR));
  NULL_ARG(tandem_text_read(d, NULL, NULL, ERR));
  NULL_ARG(tandem_counter_value(d, &cnt, NULL, ERR));
  NULL_ARG(tandem_doc_to_json(d, NULL, NULL, ERR));
  NULL_ARG(tandem_doc_resolve(d, NULL, &t, ERR));
  NULL_ARG(tandem_doc_resolve(d, "", NULL, ERR));
  NULL_ARG(tandem_doc_path_of(d, &t, NULL, ERR));
  NULL_ARG(tandem_doc_version(d, NULL, ERR));
  NULL_ARG(tandem_doc_encode_update(d, NULL, 0, NULL, ERR));
  NULL_ARG(tandem_doc_pending_ops(d, NULL, ERR));
  NULL_ARG(tandem_doc_encode_snapshot(d, NULL, ERR));
  NULL_ARG(tandem_doc_memory_usage(d, NULL, ERR));
  NULL_ARG(tandem_doc_sticky_at(d, &t, 0, TANDEM_UNIT_UTF8, TANDEM_ASSOC_AFTER, NULL, ERR));
  NULL_ARG(tandem_doc_sticky_resolve(d, &p, TANDEM_UNIT_UTF8, NULL, ERR));
  NULL_ARG(tandem_doc_sticky_encode(d, &p, NULL, ERR));
  NULL_ARG(tandem_doc_sticky_decode(d, (const uint8_t *)"x", 1, NULL, ERR));
  NULL_ARG(tandem_doc_sticky_encode(d, NULL, NULL, ERR));
  tandem_doc_free(d);
}

static void test_null_store_handle(void) {
  tandem_doc *d = NULL;
  tandem_strings names;
  tandem_buf b;
  tandem_named_versions versions;
  tandem_doc_info info;
  tandem_doc_info_init(&info);
  int64_t id;
  NULL_ARG(tandem_store_append(NULL, "n", (const uint8_t *)"x", 1, NULL, ERR));
  NULL_ARG(tandem_store_append_async(NULL, "n", (const uint8_t *)"x", 1, NULL, NULL, ERR));
  NULL_ARG(tandem_store_flush(NULL, ERR));
  NULL_ARG(tandem_store_save_doc(NULL, "n", NULL, ERR));
  NULL_ARG(tandem_store_load_doc(&d, NULL, "n", 1, NULL, ERR));
  NULL_ARG(tandem_store_load_doc(NULL, NULL, "n", 1, NULL, ERR));
  NULL_ARG(tandem_store_compact(NULL, "n", ERR));
  NULL_ARG(tandem_store_list_docs(NULL, &names, ERR));
  NULL_ARG(tandem_store_delete_doc(NULL, "n", ERR));
  NULL_ARG(tandem_store_doc_info(NULL, "n", &info, ERR));
  NULL_ARG(tandem_store_inspect(NULL, &b, ERR));
  NULL_ARG(tandem_store_create_version(NULL, "n", "l", &id, ERR));
  NULL_ARG(tandem_store_list_versions(NULL, "n", &versions, ERR));
  NULL_ARG(tandem_store_load_version(&d, NULL, "n", 1, 1, NULL, ERR));
  NULL_ARG(tandem_store_delete_version(NULL, "n", 1, ERR));
  CHECK(d == NULL);
}

static void test_free_functions_are_null_safe(void) {
  tandem_doc_free(NULL);
  tandem_store_free(NULL);
  tandem_buf_free(NULL);
  tandem_strings_free(NULL);
  tandem_value_clear(NULL);
  tandem_named_versions_free(NULL);
  tandem_error_clear(NULL);
  tandem_doc_options_init(NULL);
  tandem_store_options_init(NULL);
  tandem_apply_result_init(NULL);
  tandem_doc_info_init(NULL);
  tandem_buf b = {NULL, 0};
  tandem_buf_free(&b);
  CHECK(b.data == NULL && b.len == 0);
}

int main(void) {
  RUN(test_null_doc_handle);
  RUN(test_null_out_params);
  RUN(test_null_store_handle);
  RUN(test_free_functions_are_null_safe);
  return check_report();
}
