/* The documented multi-thread use: one tandem_doc per thread (documents are
 * independent) and one tandem_store shared by all threads (thread-safe).
 * Each thread edits its own document and appends every update to the shared
 * store; afterwards every stored document loads to the state its thread made.
 * Run it under TSan to check the claim (-fsanitize=thread). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <unistd.h>

#include "check.h"

#define THREADS 4
#define EDITS 50

static tandem_store *store;

typedef struct worker {
  int id;
  char name[16];
  char json[4096];
  int failures;
} worker;

static void *run(void *arg) {
  worker *w = (worker *)arg;
  tandem_doc *d = NULL;
  if (tandem_doc_new(&d, (uint64_t)(100 + w->id), NULL, NULL) != TANDEM_OK) {
    w->failures++;
    return NULL;
  }
  tandem_container root, text, count;
  tandem_doc_root(d, &root, NULL);
  for (int i = 0; i < EDITS; ++i) {
    tandem_buf u = {NULL, 0};
    int bad = 0;
    bad |= tandem_doc_begin_transaction(d, "worker", NULL);
    bad |= tandem_map_get_or_create(d, &root, "t", TANDEM_CONTAINER_TEXT, &text, NULL);
    bad |= tandem_map_get_or_create(d, &root, "n", TANDEM_CONTAINER_COUNTER, &count, NULL);
    bad |= tandem_text_insert(d, &text, 0, TANDEM_UNIT_UTF8, "ab", 2, NULL);
    bad |= tandem_counter_add(d, &count, 1, NULL);
    bad |= tandem_doc_commit_transaction(d, &u, NULL);
    /* Alternate synchronous and group-committed appends. */
    if (i % 2)
      bad |= tandem_store_append(store, w->name, u.data, u.len, NULL, NULL);
    else
      bad |= tandem_store_append_async(store, w->name, u.data, u.len, NULL, NULL, NULL);
    tandem_buf_free(&u);
    if (bad) w->failures++;
  }
  tandem_buf j = {NULL, 0};
  if (tandem_doc_to_json(d, NULL, &j, NULL) == TANDEM_OK && j.len < sizeof w->json)
    memcpy(w->json, j.data, j.len + 1);
  tandem_buf_free(&j);
  tandem_doc_free(d);
  return NULL;
}

static void test_doc_per_thread_shared_store(void) {
  char dir[256], path[300];
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/tandem_threads_XXXXXX", tmp ? tmp : "/tmp");
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/s.db", dir);
  CHECK_OK(tandem_store_open(&store, path, NULL, ERR));
  worker w[THREADS];
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; ++i) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].id = i;
    snprintf(w[i].name, sizeof w[i].name, "doc-%d", i);
    CHECK(pthread_create(&th[i], NULL, run, &w[i]) == 0);
  }
  for (int i = 0; i < THREADS; ++i) CHECK(pthread_join(th[i], NULL) == 0);
  CHECK_OK(tandem_store_flush(store, ERR));
  for (int i = 0; i < THREADS; ++i) {
    CHECK(w[i].failures == 0);
    tandem_doc *d = NULL;
    CHECK_OK(tandem_store_load_doc(&d, store, w[i].name, 1, NULL, ERR));
    tandem_buf j = {NULL, 0};
    CHECK_OK(tandem_doc_to_json(d, NULL, &j, ERR));
    CHECK(j.len > 0 && strcmp((const char *)j.data, w[i].json) == 0);
    tandem_buf_free(&j);
    tandem_doc_free(d);
  }
  tandem_strings names = {NULL, 0};
  CHECK_OK(tandem_store_list_docs(store, &names, ERR));
  CHECK(names.count == THREADS);
  tandem_strings_free(&names);
  tandem_store_free(store);
  const char *suffixes[] = {"", "-wal", "-shm", "-lock"};
  for (int i = 0; i < 4; ++i) {
    char p[320];
    snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
    unlink(p);
  }
  rmdir(dir);
}

int main(void) {
  RUN(test_doc_per_thread_shared_store);
  return check_report();
}
