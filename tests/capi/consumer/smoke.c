/* A tiny embedder built out of tree against an installed Tandem: edits a
 * document, stores it, loads it back. Usage: smoke <writable dir>. */
#include <stdio.h>
#include <string.h>

#include <tandem/tandem.h>

#define TRY(call)                                                                   \
  do {                                                                              \
    tandem_status st_ = (call);                                                     \
    if (st_ != TANDEM_OK) {                                                         \
      fprintf(stderr, "%s: %s: %s\n", #call, tandem_status_str(st_),               \
              err.message ? err.message : "");                                      \
      return 1;                                                                     \
    }                                                                               \
  } while (0)

int main(int argc, char **argv) {
  tandem_error err = {TANDEM_OK, NULL};
  char path[512];
  if (argc < 2) return 2;
  if (tandem_version() != TANDEM_VERSION_NUMBER) {
    fprintf(stderr, "header %s, library %s\n", TANDEM_VERSION_STRING, tandem_version_string());
    return 1;
  }
  tandem_doc *doc = NULL;
  tandem_container root, title;
  TRY(tandem_doc_new(&doc, TANDEM_PEER_RANDOM, NULL, &err));
  TRY(tandem_doc_root(doc, &root, &err));
  TRY(tandem_map_get_or_create(doc, &root, "title", TANDEM_CONTAINER_TEXT, &title, &err));
  TRY(tandem_text_insert(doc, &title, 0, TANDEM_UNIT_UTF8, "smoke", 5, &err));

  snprintf(path, sizeof path, "%s/smoke-%d.db", argv[1], (int)sizeof(void *));
  tandem_store *store = NULL;
  TRY(tandem_store_open(&store, path, NULL, &err));
  TRY(tandem_store_save_doc(store, "doc", doc, &err));
  tandem_doc *loaded = NULL;
  TRY(tandem_store_load_doc(&loaded, store, "doc", TANDEM_PEER_RANDOM, NULL, &err));
  tandem_buf json = {NULL, 0};
  TRY(tandem_doc_to_json(loaded, NULL, &json, &err));
  int ok = strcmp((const char *)json.data, "{\"title\":\"smoke\"}") == 0;
  printf("tandem %s: %s\n", tandem_version_string(), (const char *)json.data);
  tandem_buf_free(&json);
  tandem_doc_free(loaded);
  tandem_doc_free(doc);
  tandem_store_delete_doc(store, "doc", NULL);
  tandem_store_free(store);
  return ok ? 0 : 1;
}
