/* Every store call tandem.h documents as usable from several threads, used
 * from several threads at once, with results checked afterwards. Built and
 * run under ThreadSanitizer by `.ci/test` (stage tsan, -DTANDEM_TSAN=ON),
 * which turns any data race inside the library into a failure.
 *
 * Writer threads each edit their own document (documents are per thread)
 * and append to one shared store, synchronously and with group commit, save
 * it, name versions, while reader threads load, list, inspect, compact and
 * create/delete scratch documents of the same store. Afterwards every
 * document loads to the state its thread made.
 *
 * Threads record failures in their own `tlog` (thread_check.h), which the
 * main thread checks after joining them. Every wait is bounded (WAIT_MS). */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "net_util.h"
#include "thread_check.h"

#define WAIT_MS 30000

/* ================================================================ stores */

#define WRITERS 4
#define READERS 2
#define EDITS 60

static tandem_store* store;
static atomic_int stop_readers;

typedef struct writer {
  int id;
  char name[32];
  char saved_name[32];
  char json[8192];
  int versions_made;
  atomic_int async_queued;
  atomic_int async_ok;
  atomic_int async_failed;
  tlog log;
} writer;

static void on_appended(void* user_data, tandem_status status, uint64_t seq, const char* message) {
  writer* w = (writer*)user_data; /* the store's thread: atomics only */
  (void)message;
  if (status == TANDEM_OK && seq > 0)
    atomic_fetch_add(&w->async_ok, 1);
  else
    atomic_fetch_add(&w->async_failed, 1);
}

static void* writer_run(void* arg) {
  writer* w = (writer*)arg;
  tandem_doc* d = NULL;
  TCHECK_OK(&w->log, tandem_doc_new(&d, (uint64_t)(100 + w->id), NULL, TERR));
  if (!d) return NULL;
  tandem_container root, text, count;
  tandem_doc_root(d, &root, NULL);
  for (int i = 0; i < EDITS; ++i) {
    tandem_buf u = {NULL, 0};
    TCHECK_OK(&w->log, tandem_doc_begin_transaction(d, "writer", TERR));
    TCHECK_OK(&w->log, tandem_map_get_or_create(d, &root, "t", TANDEM_CONTAINER_TEXT, &text, TERR));
    TCHECK_OK(&w->log,
              tandem_map_get_or_create(d, &root, "n", TANDEM_CONTAINER_COUNTER, &count, TERR));
    TCHECK_OK(&w->log, tandem_text_insert(d, &text, 0, TANDEM_UNIT_UTF8, "ab", 2, TERR));
    TCHECK_OK(&w->log, tandem_counter_add(d, &count, 1, TERR));
    TCHECK_OK(&w->log, tandem_doc_commit_transaction(d, &u, TERR));
    /* Alternate synchronous and group-committed appends. */
    if (i % 2) {
      uint64_t seq = 0;
      TCHECK_OK(&w->log, tandem_store_append(store, w->name, u.data, u.len, &seq, TERR));
      TCHECK(&w->log, seq > 0);
      if (i % 10 == 1) {
        /* The document exists now (a synchronous append returned). */
        char label[32];
        snprintf(label, sizeof label, "v%d", i);
        /* BUSY: it lost the race with other compactions a few times in a
         * row (the readers compact too); retry, as a host would. */
        int64_t id = 0;
        tandem_status vst = TANDEM_E_BUSY;
        for (int tries = 0; vst == TANDEM_E_BUSY && tries < 50; ++tries) {
          if (tries) sleep_ms(1);
          vst = tandem_store_create_version(store, w->name, label, &id, NULL);
        }
        TCHECK(&w->log, vst == TANDEM_OK && id > 0);
        w->versions_made++;
      }
    } else {
      atomic_fetch_add(&w->async_queued, 1);
      TCHECK_OK(&w->log,
                tandem_store_append_async(store, w->name, u.data, u.len, on_appended, w, TERR));
    }
    tandem_buf_free(&u);
    if (i % 15 == 7) TCHECK_OK(&w->log, tandem_store_save_doc(store, w->saved_name, d, TERR));
  }
  TCHECK_OK(&w->log, tandem_store_save_doc(store, w->saved_name, d, TERR));
  TCHECK_OK(&w->log, tandem_store_flush(store, TERR));
  tandem_buf j = {NULL, 0};
  TCHECK_OK(&w->log, tandem_doc_to_json(d, NULL, &j, TERR));
  TCHECK(&w->log, j.data != NULL && j.len < sizeof w->json);
  if (j.data && j.len < sizeof w->json) memcpy(w->json, j.data, j.len + 1);
  tandem_buf_free(&j);
  tandem_doc_free(d);
  return NULL;
}

typedef struct reader {
  int id;
  writer* writers;
  int loads;
  tlog log;
} reader;

static void* reader_run(void* arg) {
  reader* r = (reader*)arg;
  long seen[WRITERS];
  for (int i = 0; i < WRITERS; ++i) seen[i] = 0;
  int round = 0;
  while (!atomic_load(&stop_readers)) {
    for (int i = 0; i < WRITERS; ++i) {
      const char* name = r->writers[i].name;
      /* What is committed is a prefix of the writer's edits, and a later
       * load never sees less than an earlier one. */
      tandem_doc* d = NULL;
      tandem_error e = {0, NULL};
      tandem_status st = tandem_store_load_doc(&d, store, name, (uint64_t)(900 + r->id), NULL, &e);
      r->log.checks++;
      if (st == TANDEM_OK) {
        char* j = json_of(d);
        long n = json_number(j, "n");
        TCHECK(&r->log, n >= seen[i] && n <= EDITS);
        if (n > seen[i]) seen[i] = n;
        free(j);
        tandem_doc_free(d);
        r->loads++;
      } else if (st != TANDEM_E_NOT_FOUND) {
        tlog_fail(&r->log, __FILE__, __LINE__, "load_doc(%s): %s: %s", name, tandem_status_str(st),
                  e.message ? e.message : "");
      }
      tandem_error_clear(&e);
      tandem_doc_info info;
      tandem_doc_info_init(&info);
      TCHECK_ST2(&r->log, tandem_store_doc_info(store, name, &info, TERR), TANDEM_OK,
                 TANDEM_E_NOT_FOUND);
      tandem_named_versions vs = {NULL, 0};
      TCHECK_ST2(&r->log, tandem_store_list_versions(store, name, &vs, TERR), TANDEM_OK,
                 TANDEM_E_NOT_FOUND);
      tandem_named_versions_free(&vs);
      /* BUSY: lost the race with other compactions (retried inside). */
      if ((round + i) % 3 == r->id) {
        tandem_error ce = {0, NULL};
        tandem_status cst = tandem_store_compact(store, name, &ce);
        r->log.checks++;
        if (cst != TANDEM_OK && cst != TANDEM_E_NOT_FOUND && cst != TANDEM_E_BUSY)
          tlog_fail(&r->log, __FILE__, __LINE__, "compact(%s): %s: %s", name,
                    tandem_status_str(cst), ce.message ? ce.message : "");
        tandem_error_clear(&ce);
      }
    }
    tandem_strings names = {NULL, 0};
    TCHECK_OK(&r->log, tandem_store_list_docs(store, &names, TERR));
    tandem_strings_free(&names);
    if (round % 4 == 0) {
      tandem_buf b = {NULL, 0};
      TCHECK_OK(&r->log, tandem_store_inspect(store, &b, TERR));
      TCHECK(&r->log, b.len > 0);
      tandem_buf_free(&b);
    }
    /* A scratch document made and deleted between the writers' commits. */
    char scratch[32];
    snprintf(scratch, sizeof scratch, "scratch-%d-%d", r->id, round);
    TCHECK_OK(&r->log, tandem_store_append(store, scratch, (const uint8_t*)"", 0, NULL, TERR));
    TCHECK_OK(&r->log, tandem_store_delete_doc(store, scratch, TERR));
    tandem_doc* gone = NULL;
    TCHECK_ST2(&r->log, tandem_store_load_doc(&gone, store, scratch, 1, NULL, TERR),
               TANDEM_E_NOT_FOUND, TANDEM_E_NOT_FOUND);
    tandem_doc_free(gone);
    ++round;
  }
  return NULL;
}

static void test_shared_store(void) {
  char path[320];
  tmp_path(path, sizeof path, "store.db");
  tandem_store_options so;
  tandem_store_options_init(&so);
  so.sync = TANDEM_SYNC_NORMAL;
  so.compact_after_rows = 16; /* automatic compaction while the others read */
  CHECK_OK(tandem_store_open(&store, path, &so, ERR));
  if (!store) return;
  static writer w[WRITERS];
  reader r[READERS];
  pthread_t wt[WRITERS], rt[READERS];
  atomic_store(&stop_readers, 0);
  for (int i = 0; i < WRITERS; ++i) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].id = i;
    snprintf(w[i].name, sizeof w[i].name, "doc-%d", i);
    snprintf(w[i].saved_name, sizeof w[i].saved_name, "saved-%d", i);
    atomic_init(&w[i].async_queued, 0);
    atomic_init(&w[i].async_ok, 0);
    atomic_init(&w[i].async_failed, 0);
  }
  for (int i = 0; i < READERS; ++i) {
    memset(&r[i], 0, sizeof r[i]);
    r[i].id = i;
    r[i].writers = w;
    CHECK(pthread_create(&rt[i], NULL, reader_run, &r[i]) == 0);
  }
  for (int i = 0; i < WRITERS; ++i) CHECK(pthread_create(&wt[i], NULL, writer_run, &w[i]) == 0);
  for (int i = 0; i < WRITERS; ++i) CHECK(pthread_join(wt[i], NULL) == 0);
  atomic_store(&stop_readers, 1);
  for (int i = 0; i < READERS; ++i) CHECK(pthread_join(rt[i], NULL) == 0);
  CHECK_OK(tandem_store_flush(store, ERR));

  int loads = 0;
  for (int i = 0; i < READERS; ++i) {
    check_log("reader", &r[i].log);
    loads += r[i].loads;
  }
  CHECK(loads > 0);
  fprintf(stderr, "  store: %d writers x %d edits, %d loads by %d readers\n", WRITERS, EDITS, loads,
          READERS);
  for (int i = 0; i < WRITERS; ++i) {
    check_log(w[i].name, &w[i].log);
    /* Every group-committed append reported success exactly once (flush
     * waited for them; their callbacks ran before flush returned or run
     * right after). */
    for (int k = 0; k < 1000 && atomic_load(&w[i].async_ok) + atomic_load(&w[i].async_failed) <
                                    atomic_load(&w[i].async_queued);
         ++k)
      sleep_ms(1);
    CHECK(atomic_load(&w[i].async_queued) == EDITS / 2);
    CHECK(atomic_load(&w[i].async_ok) == EDITS / 2 && atomic_load(&w[i].async_failed) == 0);
    /* The document and its saved copy load to what the thread made. */
    const char* names[2] = {w[i].name, w[i].saved_name};
    for (int k = 0; k < 2; ++k) {
      tandem_doc* d = NULL;
      CHECK_OK(tandem_store_load_doc(&d, store, names[k], 1, NULL, ERR));
      if (!d) continue;
      char* j = json_of(d);
      CHECK(j && strcmp(j, w[i].json) == 0 && json_number(j, "n") == EDITS);
      free(j);
      tandem_doc_free(d);
    }
    tandem_named_versions vs = {NULL, 0};
    CHECK_OK(tandem_store_list_versions(store, w[i].name, &vs, ERR));
    CHECK(w[i].versions_made == EDITS / 10 && vs.count == (size_t)w[i].versions_made);
    tandem_named_versions_free(&vs);
  }
  /* Only the writers' documents remain (every scratch one was deleted). */
  tandem_strings names = {NULL, 0};
  CHECK_OK(tandem_store_list_docs(store, &names, ERR));
  CHECK(names.count == 2 * WRITERS);
  for (size_t i = 0; i < names.count; ++i)
    CHECK(strncmp((const char*)names.items[i].data, "doc-", 4) == 0 ||
          strncmp((const char*)names.items[i].data, "saved-", 6) == 0);
  tandem_strings_free(&names);
  tandem_store_free(store);
  store = NULL;
  remove_store_files(path);
}

int main(void) {
  if (!tmpdir_make("store-threads")) return 2;
  CHECK_OK(tandem_set_network_log_level(TANDEM_LOG_NONE, ERR));
  RUN(test_shared_store);
  tmpdir_remove();
  return check_report();
}
