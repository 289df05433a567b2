/* The document store through the C API: open, append (sync and async),
 * save, load, compact, list, delete, info, inspect, named versions — and its
 * errors: missing documents and versions, bad names, bad options, a second
 * opener of a locked file. */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static char dir[256];
static char path[300];

static void make_dir(void) {
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/tandem_capi_XXXXXX", tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    exit(2);
  }
  snprintf(path, sizeof path, "%s/store.db", dir);
}

static void remove_dir(void) {
  const char *suffixes[] = {"", "-wal", "-shm", "-lock", "-journal"};
  char p[320];
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; ++i) {
    snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
    unlink(p);
  }
  rmdir(dir);
}

static tandem_store *open_store(void) {
  tandem_store_options o;
  tandem_store_options_init(&o);
  o.sync = TANDEM_SYNC_NORMAL;
  tandem_store *s = NULL;
  CHECK_OK(tandem_store_open(&s, path, &o, ERR));
  return s;
}

static char *json_of(tandem_doc *d) {
  tandem_buf b = {NULL, 0};
  tandem_doc_to_json(d, NULL, &b, NULL);
  char *s = malloc(b.len + 1);
  memcpy(s, b.data, b.len);
  s[b.len] = 0;
  tandem_buf_free(&b);
  return s;
}

static atomic_int async_calls;
static atomic_ullong async_seq;
static atomic_int async_bad_user_data; /* CHECK is not thread-safe: counted here */

static void on_appended(void *user_data, tandem_status status, uint64_t seq, const char *message) {
  (void)message;
  if (user_data != (void *)&async_calls) atomic_fetch_add(&async_bad_user_data, 1);
  if (status == TANDEM_OK) atomic_store(&async_seq, seq);
  atomic_fetch_add(&async_calls, 1);
}

static void test_append_load_compact(void) {
  tandem_store *s = open_store();
  tandem_doc *d = new_doc(1);
  uint64_t seq = 0;
  tandem_buf u = {NULL, 0};
  CHECK_OK(tandem_doc_set_update_listener(d, NULL, NULL, NULL, ERR));
  tandem_container r = root_of(d), t;
  CHECK_OK(tandem_doc_begin_transaction(d, NULL, ERR));
  CHECK_OK(tandem_map_get_or_create(d, &r, "t", TANDEM_CONTAINER_TEXT, &t, ERR));
  CHECK_OK(tandem_text_insert(d, &t, 0, TANDEM_UNIT_UTF8, "hello", 5, ERR));
  CHECK_OK(tandem_doc_commit_transaction(d, &u, ERR));
  CHECK_OK(tandem_store_append(s, "notes", u.data, u.len, &seq, ERR));
  CHECK(seq == 1);
  tandem_buf_free(&u);
  CHECK_OK(tandem_doc_begin_transaction(d, NULL, ERR));
  CHECK_OK(tandem_text_insert(d, &t, 5, TANDEM_UNIT_UTF8, " world", 6, ERR));
  CHECK_OK(tandem_doc_commit_transaction(d, &u, ERR));
  atomic_store(&async_calls, 0);
  CHECK_OK(tandem_store_append_async(s, "notes", u.data, u.len, on_appended, &async_calls, ERR));
  tandem_buf_free(&u);
  CHECK_OK(tandem_store_flush(s, ERR));
  for (int i = 0; i < 1000 && atomic_load(&async_calls) == 0; ++i) {
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  CHECK(atomic_load(&async_calls) == 1 && atomic_load(&async_seq) == 2);
  CHECK(atomic_load(&async_bad_user_data) == 0);
  /* Without a callback too. */
  CHECK_OK(tandem_store_append_async(s, "other", (const uint8_t *)"", 0, NULL, NULL, ERR));
  CHECK_OK(tandem_store_flush(s, ERR));

  tandem_doc *loaded = NULL;
  CHECK_OK(tandem_store_load_doc(&loaded, s, "notes", 7, NULL, ERR));
  char *j1 = json_of(d), *j2 = json_of(loaded);
  CHECK(strcmp(j1, j2) == 0 && strcmp(j1, "{\"t\":\"hello world\"}") == 0);
  free(j2);
  tandem_doc_free(loaded);
  loaded = NULL;

  tandem_doc_info info;
  tandem_doc_info_init(&info);
  tandem_doc_info_init(NULL);
  CHECK_OK(tandem_store_doc_info(s, "notes", &info, ERR));
  CHECK(info.last_seq == 2 && info.log_rows == 2 && info.snapshot_seq == 0);
  CHECK_OK(tandem_store_compact(s, "notes", ERR));
  CHECK_OK(tandem_store_doc_info(s, "notes", &info, ERR));
  CHECK(info.log_rows == 0 && info.snapshot_seq == 2 && info.snapshot_bytes > 0);
  CHECK_OK(tandem_store_load_doc(&loaded, s, "notes", TANDEM_PEER_RANDOM, NULL, ERR));
  j2 = json_of(loaded);
  CHECK(strcmp(j1, j2) == 0);
  free(j2);
  tandem_doc_free(loaded);

  /* save_doc: the whole state as one update, idempotent. */
  CHECK_OK(tandem_store_save_doc(s, "copy", d, ERR));
  CHECK_OK(tandem_store_save_doc(s, "copy", d, ERR));
  CHECK_OK(tandem_store_load_doc(&loaded, s, "copy", 8, NULL, ERR));
  j2 = json_of(loaded);
  CHECK(strcmp(j1, j2) == 0);
  free(j2);
  tandem_doc_free(loaded);
  free(j1);

  tandem_strings names = {NULL, 0};
  CHECK_OK(tandem_store_list_docs(s, &names, ERR));
  CHECK(names.count == 3);
  if (names.count == 3) {
    CHECK(buf_eq(&names.items[0], "copy") && buf_eq(&names.items[1], "notes") &&
          buf_eq(&names.items[2], "other"));
  }
  tandem_strings_free(&names);

  tandem_buf text = {NULL, 0};
  CHECK_OK(tandem_store_inspect(s, &text, ERR));
  CHECK(text.len > 0 && strstr((const char *)text.data, "notes") != NULL);
  tandem_buf_free(&text);

  CHECK_OK(tandem_store_delete_doc(s, "copy", ERR));
  CHECK_FAILS(tandem_store_delete_doc(s, "copy", ERR), TANDEM_E_NOT_FOUND);
  CHECK_FAILS(tandem_store_load_doc(&loaded, s, "copy", 1, NULL, ERR), TANDEM_E_NOT_FOUND);
  CHECK(loaded == NULL);
  CHECK_FAILS(tandem_store_doc_info(s, "copy", &info, ERR), TANDEM_E_NOT_FOUND);
  tandem_doc_free(d);
  tandem_store_free(s);
}

static void test_named_versions(void) {
  tandem_store *s = open_store();
  tandem_doc *d = NULL;
  CHECK_OK(tandem_store_load_doc(&d, s, "notes", 1, NULL, ERR));
  tandem_container r = root_of(d), t;
  CHECK_OK(tandem_map_get_or_create(d, &r, "t", TANDEM_CONTAINER_TEXT, &t, ERR));
  int64_t v1 = 0, v2 = 0;
  CHECK_OK(tandem_store_create_version(s, "notes", "first draft", &v1, ERR));
  CHECK_OK(tandem_text_insert(d, &t, 0, TANDEM_UNIT_UTF8, ">> ", 3, ERR));
  tandem_buf u = {NULL, 0};
  tandem_buf vv = {NULL, 0};
  CHECK_OK(tandem_doc_encode_update(d, NULL, 0, &u, ERR));
  CHECK_OK(tandem_store_append(s, "notes", u.data, u.len, NULL, ERR));
  tandem_buf_free(&u);
  tandem_buf_free(&vv);
  CHECK_OK(tandem_store_create_version(s, "notes", "second", &v2, ERR));
  CHECK(v1 != v2);

  tandem_named_versions list = {NULL, 0};
  CHECK_OK(tandem_store_list_versions(s, "notes", &list, ERR));
  CHECK(list.count == 2);
  if (list.count == 2) {
    CHECK(list.items[0].id == v1 && strcmp(list.items[0].label, "first draft") == 0);
    CHECK(list.items[1].id == v2 && list.items[1].bytes > 0);
  }
  tandem_named_versions_free(&list);
  tandem_named_versions_free(&list);
  tandem_named_versions_free(NULL);

  tandem_doc *old = NULL;
  CHECK_OK(tandem_store_load_version(&old, s, "notes", v1, 5, NULL, ERR));
  char *j = json_of(old);
  CHECK(strcmp(j, "{\"t\":\"hello world\"}") == 0);
  free(j);
  tandem_doc_free(old);
  old = NULL;
  CHECK_OK(tandem_store_load_version(&old, s, "notes", v2, 5, NULL, ERR));
  j = json_of(old);
  CHECK(strcmp(j, "{\"t\":\">> hello world\"}") == 0);
  free(j);
  tandem_doc_free(old);
  old = NULL;

  CHECK_OK(tandem_store_delete_version(s, "notes", v1, ERR));
  CHECK_FAILS(tandem_store_load_version(&old, s, "notes", v1, 5, NULL, ERR), TANDEM_E_NOT_FOUND);
  CHECK(old == NULL);
  CHECK_FAILS(tandem_store_delete_version(s, "notes", v1, ERR), TANDEM_E_NOT_FOUND);
  CHECK_FAILS(tandem_store_create_version(s, "missing", "x", NULL, ERR), TANDEM_E_NOT_FOUND);
  CHECK_FAILS(tandem_store_create_version(s, "notes", "\xff", NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_store_create_version(s, "notes", NULL, NULL, ERR), TANDEM_E_INVALID_ARG);
  tandem_doc_free(d);
  tandem_store_free(s);
}

static void test_store_errors(void) {
  tandem_store *s = open_store();
  /* The file is locked: a second opener is refused. */
  tandem_store *s2 = (tandem_store *)&s;
  CHECK_FAILS(tandem_store_open(&s2, path, NULL, ERR), TANDEM_E_BUSY);
  CHECK(s2 == NULL);
  CHECK_FAILS(tandem_store_append(s, "", (const uint8_t *)"x", 1, NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_store_append(s, "\xff", (const uint8_t *)"x", 1, NULL, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_store_append(s, NULL, (const uint8_t *)"x", 1, NULL, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_store_append(s, "n", NULL, 1, NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_store_append_async(s, "n", NULL, 1, NULL, NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_store_save_doc(s, "n", NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_store_compact(s, "missing", ERR), TANDEM_E_NOT_FOUND);
  tandem_named_versions list;
  CHECK_FAILS(tandem_store_list_versions(s, "missing", &list, ERR), TANDEM_E_NOT_FOUND);
  tandem_doc_info info;
  tandem_doc_info_init(&info);
  info.struct_size = 3;
  CHECK_FAILS(tandem_store_doc_info(s, "notes", &info, ERR), TANDEM_E_INVALID_ARG);
  /* A log row the core refuses: loading names it, never an empty doc. */
  CHECK_OK(tandem_store_append(s, "broken", (const uint8_t *)"\xff\xff", 2, NULL, ERR));
  tandem_doc *d = NULL;
  CHECK_FAILS(tandem_store_load_doc(&d, s, "broken", 1, NULL, ERR), TANDEM_E_STORAGE);
  CHECK(d == NULL);
  tandem_doc_options bad;
  tandem_doc_options_init(&bad);
  bad.struct_size = 1;
  CHECK_FAILS(tandem_store_load_doc(&d, s, "notes", 1, &bad, ERR), TANDEM_E_INVALID_ARG);
  tandem_store_free(s);
  tandem_store_free(NULL);

  /* Options. */
  tandem_store_options o;
  tandem_store_options_init(&o);
  tandem_store_options_init(NULL);
  CHECK(o.struct_size == sizeof o && o.sync == TANDEM_SYNC_FULL && o.create_if_missing == 1);
  o.sync = 9;
  CHECK_FAILS(tandem_store_open(&s, path, &o, ERR), TANDEM_E_INVALID_ARG);
  tandem_store_options_init(&o);
  o.max_batch = 0;
  CHECK_FAILS(tandem_store_open(&s, path, &o, ERR), TANDEM_E_INVALID_ARG);
  tandem_store_options_init(&o);
  o.busy_timeout_ms = -1;
  CHECK_FAILS(tandem_store_open(&s, path, &o, ERR), TANDEM_E_INVALID_ARG);
  tandem_store_options_init(&o);
  o.struct_size = 0;
  CHECK_FAILS(tandem_store_open(&s, path, &o, ERR), TANDEM_E_INVALID_ARG);
  tandem_store_options_init(&o);
  o.create_if_missing = 0;
  char missing[320];
  snprintf(missing, sizeof missing, "%s/missing.db", dir);
  CHECK(tandem_store_open(&s, missing, &o, NULL) != TANDEM_OK && s == NULL);
  CHECK_FAILS(tandem_store_open(&s, "\xff", NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_store_open(&s, NULL, NULL, ERR), TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_store_open(NULL, path, NULL, ERR), TANDEM_E_INVALID_ARG);
  /* Not a Tandem store. */
  char junk[320];
  snprintf(junk, sizeof junk, "%s/junk.db", dir);
  FILE *f = fopen(junk, "wb");
  for (int i = 0; i < 200; ++i) fputs("not a database at all ", f);
  fclose(f);
  tandem_status st = tandem_store_open(&s, junk, NULL, NULL);
  CHECK(st == TANDEM_E_VERSION || st == TANDEM_E_STORAGE);
  CHECK(s == NULL);
  unlink(junk);
  snprintf(junk, sizeof junk, "%s/junk.db-lock", dir);
  unlink(junk);
}

int main(void) {
  make_dir();
  RUN(test_append_load_compact);
  RUN(test_named_versions);
  RUN(test_store_errors);
  remove_dir();
  return check_report();
}
