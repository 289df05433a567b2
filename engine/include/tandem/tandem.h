/*
 * tandem.h — the C ABI of Tandem, an embeddable real-time collaboration
 * engine. One header, C11 and C++ clean. docs/c-api.md explains the
 * conventions; the short version:
 *
 *  - Names: functions tandem_<object>_<verb>, types tandem_<name>, macros and
 *    constants TANDEM_*. Only tandem_* symbols are exported.
 *  - Handles (tandem_doc, tandem_store, tandem_server, tandem_client) are
 *    opaque, made by a constructor that takes `out` first (*out is NULL on
 *    failure) and released by _free, which accepts NULL and never fails.
 *    Other calls take the object first, then inputs, then outputs, then
 *    `err`.
 *  - Every fallible call returns a tandem_status (TANDEM_OK = 0, errors < 0)
 *    and takes an optional last `tandem_error *err` (may be NULL). On failure
 *    err->code is set and err->message holds a malloc'ed UTF-8 message (any
 *    previous message is freed first); on success `err` is not touched. Free
 *    it with tandem_error_clear. A failed call changes nothing and leaves its
 *    out-params untouched unless stated otherwise.
 *  - A NULL handle, a NULL required pointer, an out-of-range index, a container
 *    of the wrong type, invalid UTF-8 and malformed bytes are errors — never a
 *    crash.
 *  - Inputs are borrowed for the duration of the call and never retained.
 *    Strings are NUL-terminated UTF-8 unless a length is passed.
 *  - Everything the library returns is freed with the one function named next
 *    to it (tandem_buf_free, tandem_value_clear, tandem_strings_free, ...) —
 *    never with the host's free().
 *  - Options structs start with `uint32_t struct_size` and are filled by an
 *    _init function; pass NULL for defaults.
 *  - Callbacks take `void *user_data` first; registrations take an optional
 *    `user_data_free` called once when the registration ends. A call that
 *    registers a callback and fails never calls it.
 *
 * Threading: a tandem_doc is not thread-safe — call it from one thread at a
 * time (different documents may be used on different threads at once). Its
 * callbacks run synchronously on the thread whose call made the change. A
 * tandem_store is thread-safe except tandem_store_free. Clients run a
 * network thread each, and so do servers unless the host drives them
 * (TANDEM_SERVICE_HOST); their sections say which calls are thread-safe
 * and where callbacks run. Free functions for returned data
 * (tandem_buf_free, ...) may be called from any thread.
 *
 * Contents (one header, as sqlite3.h: a host includes one file and the
 * exported symbols are checked against it; search for the section title):
 *   Version · Status codes and errors · Returned memory   the conventions
 *   Documents      tandem_doc_*: transactions, values, maps, lists, texts,
 *                  counters, JSON and paths, change events, sync, sticky
 *                  positions
 *   Stores         tandem_store_*: SQLite persistence, named versions
 *   Servers        tandem_server_*: the embedded sync server
 *   Clients        tandem_client_*: sync client, awareness, events
 *   Undo manager   tandem_undo_*
 */
#ifndef TANDEM_TANDEM_H_
#define TANDEM_TANDEM_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(_WIN32)
#if defined(TANDEM_BUILDING_LIBRARY)
#define TANDEM_API __declspec(dllexport)
#elif defined(TANDEM_STATIC)
#define TANDEM_API
#else
#define TANDEM_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define TANDEM_API __attribute__((visibility("default")))
#else
#define TANDEM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * Version
 * ====================================================================== */

#define TANDEM_VERSION_MAJOR 0
#define TANDEM_VERSION_MINOR 1
#define TANDEM_VERSION_PATCH 0
#define TANDEM_VERSION_STRING "0.1.0"
#define TANDEM_VERSION_NUMBER \
  (TANDEM_VERSION_MAJOR * 1000000 + TANDEM_VERSION_MINOR * 1000 + TANDEM_VERSION_PATCH)

/* The library's version as TANDEM_VERSION_NUMBER computes it; compare it with
 * the macro to detect a header/library mismatch. Any thread. */
TANDEM_API uint32_t tandem_version(void);
/* "MAJOR.MINOR.PATCH"; static storage, never NULL. Any thread. */
TANDEM_API const char *tandem_version_string(void);

/* ======================================================================
 * Status codes and errors
 * ====================================================================== */

typedef int32_t tandem_status;

#define TANDEM_OK 0
#define TANDEM_E_INVALID_ARG (-1)  /* a NULL handle/pointer, a bad enum value, a bad path, ... */
#define TANDEM_E_NO_MEMORY (-2)    /* an allocation failed; nothing changed */
#define TANDEM_E_IO (-3)           /* the OS or SQLite failed to read or write */
#define TANDEM_E_STORAGE (-4)      /* stored data is corrupt (checksum, malformed file or row) */
#define TANDEM_E_PROTOCOL (-5)     /* bytes (update, snapshot, position) are malformed */
#define TANDEM_E_VERSION (-6)      /* a format/file version or struct_size this build does not know */
#define TANDEM_E_NOT_FOUND (-7)    /* no such map key, document, version, observer, path */
#define TANDEM_E_CLOSED (-8)       /* the object is closed */
#define TANDEM_E_AGAIN (-9)        /* nothing now (non-blocking calls) */
#define TANDEM_E_LIMIT (-10)       /* a size or resource limit would be passed */
#define TANDEM_E_AUTH (-11)        /* authentication refused (network layer) */
#define TANDEM_E_BUSY (-12)        /* locked or in use by someone else; retry later */
#define TANDEM_E_INTERNAL (-13)    /* a bug in Tandem: please report the message */
#define TANDEM_E_USER (-14)        /* a user callback asked to abort */
#define TANDEM_E_TYPE (-15)        /* a container or value of the wrong type */
#define TANDEM_E_RANGE (-16)       /* an index or count out of range */

/* A short English phrase for a status ("ok", "index out of range", ...);
 * static storage, never NULL ("unknown status" for unknown codes). Any
 * thread. */
TANDEM_API const char *tandem_status_str(tandem_status status);

/* Filled by a failing call when the caller passes one. Zero-initialise it
 * (tandem_error e = {0, NULL}) before first use. */
typedef struct tandem_error {
  tandem_status code; /* the status the call returned */
  char *message;      /* malloc'ed UTF-8, owned by the struct; may be NULL on out-of-memory */
} tandem_error;

/* Frees err->message and resets err to {TANDEM_OK, NULL}. NULL-safe. Any
 * thread. */
TANDEM_API void tandem_error_clear(tandem_error *err);

/* ======================================================================
 * Returned memory
 * ====================================================================== */

/* Bytes the library allocated. Strings returned in a tandem_buf are also
 * NUL-terminated (data[len] == 0, not counted in len). An empty result may
 * have data == NULL. */
typedef struct tandem_buf {
  uint8_t *data;
  size_t len;
} tandem_buf;

/* Frees buf->data and sets *buf to {NULL, 0}. NULL-safe. Any thread. */
TANDEM_API void tandem_buf_free(tandem_buf *buf);

/* A list of strings the library allocated (map keys, document names); each
 * item is a NUL-terminated tandem_buf (the length is kept because map keys
 * from remote peers may contain NUL). */
typedef struct tandem_strings {
  tandem_buf *items;
  size_t count;
} tandem_strings;

/* Frees every item and the array, sets *list to {NULL, 0}. NULL-safe. */
TANDEM_API void tandem_strings_free(tandem_strings *list);

/* ======================================================================
 * Documents
 * ====================================================================== */

/* A replica of one document (a tree of containers rooted in a map). Not
 * thread-safe: one thread at a time. */
typedef struct tandem_doc tandem_doc;

/* Container types (the same numbers as the wire format). */
#define TANDEM_CONTAINER_MAP 1     /* string keys -> values, last writer wins per key */
#define TANDEM_CONTAINER_LIST 2    /* a sequence of values and containers */
#define TANDEM_CONTAINER_TEXT 3    /* a sequence of Unicode scalar values */
#define TANDEM_CONTAINER_COUNTER 4 /* an int64 of commuting adds */

/* Text index units: every text position and length is counted in the unit
 * the caller chooses. */
#define TANDEM_UNIT_CODEPOINT 0 /* Unicode scalar values */
#define TANDEM_UNIT_UTF16 1     /* UTF-16 code units (Qt, JavaScript, Windows) */
#define TANDEM_UNIT_UTF8 2      /* UTF-8 bytes (GTK, most C) */

/* Names one container of one document. A plain value, filled by the library
 * (tandem_doc_root, tandem_map_get_or_create, tandem_doc_resolve, values of
 * type TANDEM_VALUE_CONTAINER, ...); copy it freely, never fill it by hand.
 * It stays valid as long as its document: containers are never destroyed (one
 * removed from its parent keeps working, unreachable). Every call checks it
 * against the document it is passed with: a handle of another document, an
 * uninitialised one, or one of the wrong container type is an error. */
typedef struct tandem_container {
  uint64_t doc_id; /* the owning document's process-unique id; 0 = not a handle */
  uint32_t index;  /* the container's index in its document */
  uint32_t type;   /* TANDEM_CONTAINER_*, for the caller's information */
} tandem_container;

#define TANDEM_PEER_RANDOM 0 /* peer id: let the library pick a random one */

typedef struct tandem_doc_options {
  uint32_t struct_size;       /* sizeof(tandem_doc_options), set by _init */
  uint32_t max_depth;         /* containers nest at most this deep (default 100) */
  uint64_t max_update_bytes;  /* larger updates/snapshots are refused (default 64 MiB) */
  uint64_t max_pending_ops;   /* operations waiting for dependencies (default 2^20) */
} tandem_doc_options;

/* Sets struct_size and the defaults. NULL-safe. Any thread. */
TANDEM_API void tandem_doc_options_init(tandem_doc_options *opts);

/* Creates an empty document edited locally as peer `peer_id` (unique per
 * editing session; TANDEM_PEER_RANDOM picks a random id). `opts` may be NULL.
 * Ownership: *out belongs to the caller; release it with tandem_doc_free.
 * Errors: INVALID_ARG (out NULL, opts not initialised), VERSION (opts from a
 * newer header), NO_MEMORY. Any thread. */
TANDEM_API tandem_status tandem_doc_new(tandem_doc **out, uint64_t peer_id,
                                        const tandem_doc_options *opts, tandem_error *err);

/* Builds a document from snapshot bytes (tandem_doc_encode_snapshot of any
 * replica), edited locally as `peer_id`. Errors: PROTOCOL (malformed bytes),
 * VERSION (unknown format), LIMIT, INVALID_ARG. Any thread. */
TANDEM_API tandem_status tandem_doc_new_from_snapshot(tandem_doc **out, const uint8_t *data,
                                                      size_t len, uint64_t peer_id,
                                                      const tandem_doc_options *opts,
                                                      tandem_error *err);

/* Releases the document; calls the user_data_free of every observer and of
 * the update listener. NULL-safe. Must not be called from the document's own
 * callbacks. Handles and sticky positions of the document become invalid. */
TANDEM_API void tandem_doc_free(tandem_doc *doc);

/* The local peer id. Errors: INVALID_ARG. */
TANDEM_API tandem_status tandem_doc_peer_id(const tandem_doc *doc, uint64_t *out,
                                            tandem_error *err);

/* The root map. Errors: INVALID_ARG. */
TANDEM_API tandem_status tandem_doc_root(const tandem_doc *doc, tandem_container *out,
                                         tandem_error *err);

/* ---- Transactions ----
 * Edits between begin and commit make one update (one call of the update
 * listener) and one change event tagged `origin`. An edit outside a
 * transaction is a transaction of its own (origin ""). Transactions do not
 * nest. */

/* `origin`: NUL-terminated UTF-8 tag, NULL = "". Errors: INVALID_ARG (one is
 * already open, bad UTF-8). */
TANDEM_API tandem_status tandem_doc_begin_transaction(tandem_doc *doc, const char *origin,
                                                      tandem_error *err);
/* Ends the transaction: calls the update listener, then the observers (on
 * this thread, before returning). `out_update` (optional) receives the
 * transaction's update bytes (empty if it made no operations); free with
 * tandem_buf_free. Errors: INVALID_ARG (none open). */
TANDEM_API tandem_status tandem_doc_commit_transaction(tandem_doc *doc, tandem_buf *out_update,
                                                       tandem_error *err);
/* *out = 1 while a transaction is open, else 0. */
TANDEM_API tandem_status tandem_doc_in_transaction(const tandem_doc *doc, int32_t *out,
                                                   tandem_error *err);

/* ---- Values ---- */

#define TANDEM_VALUE_NULL 0
#define TANDEM_VALUE_BOOL 1
#define TANDEM_VALUE_INT 2
#define TANDEM_VALUE_DOUBLE 3
#define TANDEM_VALUE_STRING 4    /* UTF-8 in data/len */
#define TANDEM_VALUE_BYTES 5     /* bytes in data/len */
#define TANDEM_VALUE_CONTAINER 6 /* a nested container (outputs only) */

/* What a map entry or a list element holds. Only the field of `type` is
 * meaningful.
 * As input (set/insert/push): filled by the caller, `data` borrowed for the
 * call; CONTAINER is refused (use tandem_map_get_or_create /
 * tandem_list_insert_container).
 * As output of a get call: `data` is owned by the value (NUL-terminated) and
 * released with tandem_value_clear. Values inside a change event are borrowed
 * from the event: never clear those. */
typedef struct tandem_value {
  int32_t type;       /* TANDEM_VALUE_* */
  int32_t bool_value; /* BOOL: 0 or 1 */
  int64_t int_value;  /* INT */
  double double_value;/* DOUBLE */
  const char *data;   /* STRING / BYTES */
  size_t len;
  tandem_container container; /* CONTAINER: the handle (see the event notes for the exceptions) */
} tandem_value;

/* Frees the data of a value a get call returned and resets it to NULL.
 * NULL-safe. Any thread. */
TANDEM_API void tandem_value_clear(tandem_value *value);

/* Convenience constructors for inputs (header-only; strings are borrowed). */
static inline tandem_value tandem_value_null(void) {
  tandem_value v;
  memset(&v, 0, sizeof v);
  return v;
}
static inline tandem_value tandem_value_bool(int b) {
  tandem_value v = tandem_value_null();
  v.type = TANDEM_VALUE_BOOL;
  v.bool_value = b ? 1 : 0;
  return v;
}
static inline tandem_value tandem_value_int(int64_t i) {
  tandem_value v = tandem_value_null();
  v.type = TANDEM_VALUE_INT;
  v.int_value = i;
  return v;
}
static inline tandem_value tandem_value_double(double d) {
  tandem_value v = tandem_value_null();
  v.type = TANDEM_VALUE_DOUBLE;
  v.double_value = d;
  return v;
}
static inline tandem_value tandem_value_string(const char *utf8) {
  tandem_value v = tandem_value_null();
  v.type = TANDEM_VALUE_STRING;
  v.data = utf8;
  v.len = utf8 ? strlen(utf8) : 0;
  return v;
}
static inline tandem_value tandem_value_bytes(const void *data, size_t len) {
  tandem_value v = tandem_value_null();
  v.type = TANDEM_VALUE_BYTES;
  v.data = (const char *)data;
  v.len = len;
  return v;
}

/* ---- Maps ----
 * `map` must name a map of `doc` (else INVALID_ARG for a foreign/uninitialised
 * handle, TYPE for another container type). Keys are NUL-terminated UTF-8
 * (INVALID_ARG otherwise). */

/* The value under `key`. Ownership: *out is the caller's (tandem_value_clear).
 * Errors: NOT_FOUND (absent key), INVALID_ARG, TYPE. */
TANDEM_API tandem_status tandem_map_get(const tandem_doc *doc, const tandem_container *map,
                                        const char *key, tandem_value *out, tandem_error *err);
/* *out = 1 if `key` is present, else 0. */
TANDEM_API tandem_status tandem_map_has(const tandem_doc *doc, const tandem_container *map,
                                        const char *key, int32_t *out, tandem_error *err);
/* Writes a scalar. Errors: INVALID_ARG (bad UTF-8 key or string, CONTAINER
 * or unknown value type), TYPE. Callbacks: see transactions. */
TANDEM_API tandem_status tandem_map_set(tandem_doc *doc, const tandem_container *map,
                                        const char *key, const tandem_value *value,
                                        tandem_error *err);
/* Removes `key`. Errors: NOT_FOUND (absent: nothing written), INVALID_ARG, TYPE. */
TANDEM_API tandem_status tandem_map_delete(tandem_doc *doc, const tandem_container *map,
                                           const char *key, tandem_error *err);
/* Number of keys present. */
TANDEM_API tandem_status tandem_map_len(const tandem_doc *doc, const tandem_container *map,
                                        uint64_t *out, tandem_error *err);
/* The keys present, sorted bytewise. Free with tandem_strings_free. */
TANDEM_API tandem_status tandem_map_keys(const tandem_doc *doc, const tandem_container *map,
                                         tandem_strings *out, tandem_error *err);
/* The container of `type` under `key`, created if the key does not hold one
 * (two peers doing this concurrently get the same container). Errors:
 * INVALID_ARG (bad type/key), TYPE, LIMIT (nesting deeper than max_depth). */
TANDEM_API tandem_status tandem_map_get_or_create(tandem_doc *doc, const tandem_container *map,
                                                  const char *key, uint32_t type,
                                                  tandem_container *out, tandem_error *err);

/* ---- Lists ---- `list` must name a list of `doc`. */

TANDEM_API tandem_status tandem_list_len(const tandem_doc *doc, const tandem_container *list,
                                         uint64_t *out, tandem_error *err);
/* Element `index`. *out is the caller's (tandem_value_clear). Errors: RANGE
 * (index >= len), INVALID_ARG, TYPE. */
TANDEM_API tandem_status tandem_list_get(const tandem_doc *doc, const tandem_container *list,
                                         uint64_t index, tandem_value *out, tandem_error *err);
/* Inserts `count` scalars before `index` (<= len). `values` may be NULL when
 * count is 0. Errors: RANGE, INVALID_ARG (bad value), TYPE. */
TANDEM_API tandem_status tandem_list_insert(tandem_doc *doc, const tandem_container *list,
                                            uint64_t index, const tandem_value *values,
                                            size_t count, tandem_error *err);
/* Appends one scalar. */
TANDEM_API tandem_status tandem_list_push(tandem_doc *doc, const tandem_container *list,
                                          const tandem_value *value, tandem_error *err);
/* Deletes `count` elements from `index`. Errors: RANGE (index + count > len). */
TANDEM_API tandem_status tandem_list_delete(tandem_doc *doc, const tandem_container *list,
                                            uint64_t index, uint64_t count, tandem_error *err);
/* Inserts a new container of `type` before `index`. Errors: RANGE,
 * INVALID_ARG (bad type), TYPE, LIMIT (nesting). */
TANDEM_API tandem_status tandem_list_insert_container(tandem_doc *doc,
                                                      const tandem_container *list,
                                                      uint64_t index, uint32_t type,
                                                      tandem_container *out, tandem_error *err);

/* ---- Texts ---- `text` must name a text of `doc`; `unit` is a
 * TANDEM_UNIT_* (INVALID_ARG otherwise). A position that splits a character
 * in the chosen unit (inside a UTF-8 sequence or a surrogate pair) is
 * INVALID_ARG; one past the end is RANGE. */

TANDEM_API tandem_status tandem_text_len(const tandem_doc *doc, const tandem_container *text,
                                         int32_t unit, uint64_t *out, tandem_error *err);
/* The whole text as UTF-8 (NUL-terminated). Free with tandem_buf_free. */
TANDEM_API tandem_status tandem_text_read(const tandem_doc *doc, const tandem_container *text,
                                          tandem_buf *out, tandem_error *err);
/* Inserts `len` bytes of UTF-8 at `index`. Errors: INVALID_ARG (invalid
 * UTF-8 — surrogates, overlongs, truncated sequences — or a split
 * position), RANGE, TYPE. `utf8` may be NULL when len is 0. */
TANDEM_API tandem_status tandem_text_insert(tandem_doc *doc, const tandem_container *text,
                                            uint64_t index, int32_t unit, const char *utf8,
                                            size_t len, tandem_error *err);
/* Deletes `count` units from `index`. Errors: RANGE, INVALID_ARG (split). */
TANDEM_API tandem_status tandem_text_delete(tandem_doc *doc, const tandem_container *text,
                                            uint64_t index, uint64_t count, int32_t unit,
                                            tandem_error *err);
/* Converts position `index` counted in `from` into unit `to`. Errors: RANGE,
 * INVALID_ARG (split position or bad unit). */
TANDEM_API tandem_status tandem_text_convert_index(const tandem_doc *doc,
                                                   const tandem_container *text, uint64_t index,
                                                   int32_t from, int32_t to, uint64_t *out,
                                                   tandem_error *err);

/* ---- Counters ---- `counter` must name a counter of `doc`. */

/* Adds `delta` (wrapping at 64 bits, the same on every replica). */
TANDEM_API tandem_status tandem_counter_add(tandem_doc *doc, const tandem_container *counter,
                                            int64_t delta, tandem_error *err);
TANDEM_API tandem_status tandem_counter_value(const tandem_doc *doc,
                                              const tandem_container *counter, int64_t *out,
                                              tandem_error *err);

/* ---- JSON and paths ---- */

/* The document (`container` NULL) or a subtree as JSON: maps as objects with
 * sorted keys, lists as arrays, texts as strings, counters as numbers, bytes
 * as base64 strings, non-finite doubles as null. Free with tandem_buf_free. */
TANDEM_API tandem_status tandem_doc_to_json(const tandem_doc *doc,
                                            const tandem_container *container, tandem_buf *out,
                                            tandem_error *err);
/* The container at JSON pointer `path` ("" = root, "/shapes/0/title", RFC
 * 6901 escapes ~0 and ~1, list segments are indices). Errors: NOT_FOUND (no
 * container there), INVALID_ARG (malformed path, a segment that is not an
 * index, a path through a text or counter). */
TANDEM_API tandem_status tandem_doc_resolve(tandem_doc *doc, const char *path,
                                            tandem_container *out, tandem_error *err);
/* The current path of `container` (tandem_buf_free). Errors: NOT_FOUND (not
 * reachable from the root any more). */
TANDEM_API tandem_status tandem_doc_path_of(const tandem_doc *doc,
                                            const tandem_container *container, tandem_buf *out,
                                            tandem_error *err);

/* ---- Change events ----
 * What one transaction (local, or one tandem_doc_apply_update) changed. All
 * pointers in an event are borrowed: valid only during the callback. */

#define TANDEM_STEP_RETAIN 0
#define TANDEM_STEP_INSERT 1
#define TANDEM_STEP_DELETE 2

/* A text delta step, applied left to right against the text as it was before
 * the event. Counts are in code points (a delete's UTF-16/UTF-8 length is
 * only known to a host that kept the old text). */
typedef struct tandem_text_step {
  int32_t kind;        /* TANDEM_STEP_* */
  uint64_t count;      /* code points retained, deleted or inserted */
  const char *text;    /* INSERT: the UTF-8 inserted (len bytes); else NULL */
  size_t len;
} tandem_text_step;

/* A list step (same convention); INSERT carries `count` values. A container
 * value's handle is set when the element still holds it when the callback
 * runs (else container.doc_id is 0 and only container.type is set). */
typedef struct tandem_list_step {
  int32_t kind;
  uint64_t count;
  const tandem_value *values; /* INSERT: `count` values; else NULL */
} tandem_list_step;

/* A map key whose value changed. For a CONTAINER old value only
 * container.type is set (doc_id 0); a new one carries the handle. */
typedef struct tandem_key_change {
  const char *key; /* UTF-8, NUL-terminated */
  size_t key_len;
  int32_t had_old;  /* 0: the key was absent before */
  int32_t has_new;  /* 0: the key is absent now (deleted) */
  tandem_value old_value;
  tandem_value new_value;
} tandem_key_change;

/* What happened to one container. Only the fields of its type are set. */
typedef struct tandem_change {
  tandem_container container;
  const char *path; /* JSON pointer at the time of the event ("" = root or unreachable) */
  size_t path_len;
  const tandem_text_step *text_steps; /* TEXT */
  size_t text_step_count;
  const tandem_list_step *list_steps; /* LIST */
  size_t list_step_count;
  const tandem_key_change *keys; /* MAP, sorted by key */
  size_t key_count;
  int64_t counter_delta; /* COUNTER: the sum of the adds */
} tandem_change;

typedef struct tandem_change_event {
  uint32_t struct_size; /* sizeof(tandem_change_event) of the library */
  int32_t local;        /* 1: made by this replica's edit calls; 0: tandem_doc_apply_update */
  const char *origin;   /* the transaction's or apply_update's origin tag (NUL-terminated) */
  size_t origin_len;
  const tandem_change *changes; /* ordered by container index */
  size_t change_count;
} tandem_change_event;

/* Called once per transaction that changed the observed container (or, deep,
 * anything inside it), synchronously on the thread that made the change,
 * after the change is visible. It may read and edit the document and
 * (un)observe; it must not free the document. */
typedef void (*tandem_change_cb)(void *user_data, const tandem_change_event *event);

/* Registers `cb` for `container` (deep != 0: also everything nested inside
 * it). *out_id identifies the registration for tandem_doc_unobserve.
 * `user_data_free` (optional) is called once with user_data when the
 * registration ends (unobserve or doc free; never while cb is running).
 * Errors: INVALID_ARG (cb NULL, bad container); on error neither function is
 * ever called. */
TANDEM_API tandem_status tandem_doc_observe(tandem_doc *doc, const tandem_container *container,
                                            int32_t deep, tandem_change_cb cb, void *user_data,
                                            void (*user_data_free)(void *), uint64_t *out_id,
                                            tandem_error *err);
/* Ends a registration; its callback is not called again (even for an event
 * being delivered). May be called from any callback of this document.
 * Errors: NOT_FOUND (unknown id). */
TANDEM_API tandem_status tandem_doc_unobserve(tandem_doc *doc, uint64_t id, tandem_error *err);

/* Called with the update bytes of every committed local transaction that made
 * operations (what a sync client sends), synchronously on the editing thread,
 * before the observers. `update` is borrowed for the call. */
typedef void (*tandem_update_cb)(void *user_data, const uint8_t *update, size_t len);

/* Sets (cb non-NULL) or removes (cb NULL) the document's one update listener;
 * the previous listener's user_data_free is called (after its running call,
 * if any, returns). */
TANDEM_API tandem_status tandem_doc_set_update_listener(tandem_doc *doc, tandem_update_cb cb,
                                                        void *user_data,
                                                        void (*user_data_free)(void *),
                                                        tandem_error *err);

/* ---- Sync ----
 * Version vectors are opaque-to-most-callers bytes: `n` entries of 16 bytes,
 * each a peer id then the next unseen counter of that peer, both uint64
 * little-endian, sorted by peer id, counters > 0. The empty vector (len 0)
 * means "nothing seen". */

/* The document's version vector. Free with tandem_buf_free. */
TANDEM_API tandem_status tandem_doc_version(const tandem_doc *doc, tandem_buf *out,
                                            tandem_error *err);
/* The operations a replica at version `since` lacks (since NULL/len 0:
 * everything), as update bytes for tandem_doc_apply_update. Errors:
 * PROTOCOL (malformed version vector). */
TANDEM_API tandem_status tandem_doc_encode_update(const tandem_doc *doc, const uint8_t *since,
                                                  size_t since_len, tandem_buf *out,
                                                  tandem_error *err);

typedef struct tandem_apply_result {
  uint32_t struct_size;  /* set by tandem_apply_result_init; the library fills what fits */
  uint32_t reserved;
  uint64_t applied_ops;  /* operations applied now (including earlier pending ones) */
  uint64_t pending_ops;  /* operations still waiting for dependencies */
  uint64_t dropped_ops;  /* operations kept as nothing (hostile or out of bounds) */
} tandem_apply_result;

TANDEM_API void tandem_apply_result_init(tandem_apply_result *result);

/* Applies update bytes from any peer (idempotent; operations whose
 * dependencies are missing wait and apply when they arrive). `origin`: the
 * event's tag (NULL = "remote"). `result` optional. Observers run before it
 * returns. Errors: PROTOCOL (malformed: refused whole, nothing changed),
 * VERSION, LIMIT, INVALID_ARG (inside a transaction). */
TANDEM_API tandem_status tandem_doc_apply_update(tandem_doc *doc, const uint8_t *data, size_t len,
                                                 const char *origin, tandem_apply_result *result,
                                                 tandem_error *err);
/* Operations waiting for dependencies. */
TANDEM_API tandem_status tandem_doc_pending_ops(const tandem_doc *doc, uint64_t *out,
                                                tandem_error *err);
/* The canonical full state (equal on every replica that saw the same
 * operations). Load with tandem_doc_new_from_snapshot. */
TANDEM_API tandem_status tandem_doc_encode_snapshot(const tandem_doc *doc, tandem_buf *out,
                                                    tandem_error *err);
/* Bytes of heap the replica holds. */
TANDEM_API tandem_status tandem_doc_memory_usage(const tandem_doc *doc, uint64_t *out,
                                                 tandem_error *err);

/* ---- Sticky positions ----
 * A position in a text or list that follows its element through concurrent
 * edits. A plain value valid for its document; encode it to bytes for other
 * peers (e.g. cursors in awareness state). */

#define TANDEM_ASSOC_AFTER 0  /* sticks to the element before it (stays left of text typed at it) */
#define TANDEM_ASSOC_BEFORE 1 /* sticks to the element after it */

typedef struct tandem_sticky {
  tandem_container container;
  int32_t assoc;        /* TANDEM_ASSOC_* */
  int32_t has_item;     /* 0: the sequence start (AFTER) or end (BEFORE) */
  uint64_t item_peer;   /* the anchor element's id */
  uint64_t item_counter;
} tandem_sticky;

/* The position at `index` (in `unit` for a text; elements for a list, where
 * unit is ignored; index == len is the end). Errors: RANGE, TYPE (not a text
 * or list), INVALID_ARG. */
TANDEM_API tandem_status tandem_doc_sticky_at(const tandem_doc *doc,
                                              const tandem_container *container, uint64_t index,
                                              int32_t unit, int32_t assoc, tandem_sticky *out,
                                              tandem_error *err);
/* Its index now (in `unit` for a text). Errors: INVALID_ARG (another
 * document's, unknown element). */
TANDEM_API tandem_status tandem_doc_sticky_resolve(const tandem_doc *doc, const tandem_sticky *pos,
                                                   int32_t unit, uint64_t *out,
                                                   tandem_error *err);
/* Bytes naming the position independently of the replica (tandem_buf_free). */
TANDEM_API tandem_status tandem_doc_sticky_encode(const tandem_doc *doc, const tandem_sticky *pos,
                                                  tandem_buf *out, tandem_error *err);
/* Decodes bytes from any replica against this document. Errors: PROTOCOL,
 * VERSION, INVALID_ARG (its container is not in this document yet). */
TANDEM_API tandem_status tandem_doc_sticky_decode(tandem_doc *doc, const uint8_t *data,
                                                  size_t len, tandem_sticky *out,
                                                  tandem_error *err);

/* ======================================================================
 * Stores: documents persisted in one SQLite file (an update log per
 * document, snapshots, named versions). Every function is thread-safe except
 * tandem_store_free, which must not race with other calls on the store.
 * ====================================================================== */

typedef struct tandem_store tandem_store;

#define TANDEM_SYNC_FULL 0   /* fsync before a commit returns: survives power loss */
#define TANDEM_SYNC_NORMAL 1 /* survives a process kill; an OS crash may lose the last commits */

typedef struct tandem_store_options {
  uint32_t struct_size;         /* set by _init */
  int32_t sync;                 /* TANDEM_SYNC_* (default FULL) */
  int32_t create_if_missing;    /* default 1 */
  int32_t busy_timeout_ms;      /* default 10000 */
  uint32_t max_batch;           /* group commit: writes per transaction (default 1024) */
  uint32_t max_versions;        /* named versions kept per document (0 = all) */
  uint64_t compact_after_rows;  /* automatic compaction thresholds (default 2000 rows, 4 MiB) */
  uint64_t compact_after_bytes;
  int64_t max_version_age_ms;   /* drop older named versions (0 = keep) */
} tandem_store_options;

TANDEM_API void tandem_store_options_init(tandem_store_options *opts);

/* Opens (or creates) the store at `path` (UTF-8 file name) for documents.
 * Holds an exclusive lock on path + "-lock". Ownership: *out is the caller's
 * (tandem_store_free). Errors: BUSY (locked), VERSION (newer file or not a
 * Tandem store), STORAGE, IO, INVALID_ARG. Any thread. */
TANDEM_API tandem_status tandem_store_open(tandem_store **out, const char *path,
                                           const tandem_store_options *opts, tandem_error *err);
/* Commits every queued write (their callbacks fire), stops the store's
 * threads and closes the file. NULL-safe. Not concurrently with other calls
 * on the store, nor from an append callback. */
TANDEM_API void tandem_store_free(tandem_store *store);

/* Appends update bytes to document `name` (created on first append) and
 * waits until durable. *out_seq (optional): the row's sequence number.
 * Errors: INVALID_ARG (empty name), IO, CLOSED. */
TANDEM_API tandem_status tandem_store_append(tandem_store *store, const char *name,
                                             const uint8_t *update, size_t len,
                                             uint64_t *out_seq, tandem_error *err);

/* Called once, on the store's thread, after the write is durable (status
 * TANDEM_OK, seq set) or failed (message borrowed for the call). Must be short
 * and must not call synchronous tandem_store_* functions. */
typedef void (*tandem_append_cb)(void *user_data, tandem_status status, uint64_t seq,
                                 const char *message);

/* Queues an append and returns at once (group commit). `cb` optional. On
 * error cb is never called. */
TANDEM_API tandem_status tandem_store_append_async(tandem_store *store, const char *name,
                                                   const uint8_t *update, size_t len,
                                                   tandem_append_cb cb, void *user_data,
                                                   tandem_error *err);
/* Waits until every write queued before the call is committed. */
TANDEM_API tandem_status tandem_store_flush(tandem_store *store, tandem_error *err);

/* Appends the whole state of `doc` to document `name` as one update (merging
 * is idempotent, so saving again is safe). The doc may be used concurrently
 * only per the document rules (this call reads it). */
TANDEM_API tandem_status tandem_store_save_doc(tandem_store *store, const char *name,
                                               const tandem_doc *doc, tandem_error *err);

/* Loads document `name` (snapshot + log) as a replica edited by `peer_id`.
 * Errors: NOT_FOUND (no such document — only then create a fresh one),
 * STORAGE (a row the core refused, naming it), IO. */
TANDEM_API tandem_status tandem_store_load_doc(tandem_doc **out, tandem_store *store,
                                               const char *name, uint64_t peer_id,
                                               const tandem_doc_options *opts, tandem_error *err);
/* Folds the log tail of `name` into a new snapshot now (a no-op with no
 * tail). Errors: NOT_FOUND, STORAGE, IO, BUSY (other threads kept
 * appending to or compacting `name` through several attempts; retry). */
TANDEM_API tandem_status tandem_store_compact(tandem_store *store, const char *name,
                                              tandem_error *err);
/* Document names, sorted. Free with tandem_strings_free. */
TANDEM_API tandem_status tandem_store_list_docs(tandem_store *store, tandem_strings *out,
                                                tandem_error *err);
/* Removes the document with its log, snapshots and versions. Errors: NOT_FOUND. */
TANDEM_API tandem_status tandem_store_delete_doc(tandem_store *store, const char *name,
                                                 tandem_error *err);

typedef struct tandem_doc_info {
  uint32_t struct_size; /* set by tandem_doc_info_init; the library fills what fits */
  uint32_t reserved;
  int64_t created_ms;
  int64_t updated_ms;
  uint64_t last_seq;
  uint64_t log_rows;
  uint64_t log_bytes;
  uint64_t snapshot_seq;
  uint64_t snapshot_bytes;
  uint64_t versions;
  uint64_t outbox_rows;
  uint64_t outbox_bytes;
} tandem_doc_info;

TANDEM_API void tandem_doc_info_init(tandem_doc_info *info);
/* Sizes and state of one document. Errors: NOT_FOUND, INVALID_ARG (struct
 * not initialised). */
TANDEM_API tandem_status tandem_store_doc_info(tandem_store *store, const char *name,
                                               tandem_doc_info *out, tandem_error *err);
/* The human-readable listing of the whole file (as `tandem inspect` prints
 * it), NUL-terminated; tandem_buf_free. */
TANDEM_API tandem_status tandem_store_inspect(tandem_store *store, tandem_buf *out,
                                              tandem_error *err);

/* ---- Named versions ---- */

typedef struct tandem_named_version {
  int64_t id;
  char *label;          /* NUL-terminated UTF-8, owned by the list */
  int64_t created_ms;
  uint64_t upto_seq;    /* covers log rows with seq <= upto_seq */
  uint64_t bytes;
} tandem_named_version;

typedef struct tandem_named_versions {
  tandem_named_version *items;
  size_t count;
} tandem_named_versions;

TANDEM_API void tandem_named_versions_free(tandem_named_versions *list);

/* Saves the current state of `name` as a named version labelled `label`;
 * *out_id (optional) is its id. Errors: NOT_FOUND, INVALID_ARG (bad UTF-8),
 * BUSY (concurrent compactions of `name` won several times in a row; retry),
 * STORAGE, IO. */
TANDEM_API tandem_status tandem_store_create_version(tandem_store *store, const char *name,
                                                     const char *label, int64_t *out_id,
                                                     tandem_error *err);
/* Named versions of `name`, oldest first (tandem_named_versions_free). */
TANDEM_API tandem_status tandem_store_list_versions(tandem_store *store, const char *name,
                                                    tandem_named_versions *out,
                                                    tandem_error *err);
/* Loads `name` as of version `version_id`. Errors: NOT_FOUND, STORAGE. */
TANDEM_API tandem_status tandem_store_load_version(tandem_doc **out, tandem_store *store,
                                                   const char *name, int64_t version_id,
                                                   uint64_t peer_id, const tandem_doc_options *opts,
                                                   tandem_error *err);
/* Forgets a named version. Errors: NOT_FOUND. */
TANDEM_API tandem_status tandem_store_delete_version(tandem_store *store, const char *name,
                                                     int64_t version_id, tandem_error *err);

/* ======================================================================
 * Servers: the sync server (docs/protocol.md) embedded in the host. It keeps
 * its documents in one SQLite store and serves the WebSocket protocol
 * "tandem" on any path, plus /healthz, /metrics and, optionally, static
 * files.
 *
 * Threads: by default a running server owns one network thread (its
 * event loop: epoll, through libuv, with libwebsockets on it); its store
 * commits on a thread of its own. Every tandem_server_* function is
 * thread-safe except tandem_server_free, which must not race other calls on
 * the server, and the host-driven calls below. The auth callback runs on
 * the network thread; it must be quick and must not call tandem_server_*
 * functions (those calls fail with TANDEM_E_BUSY there).
 *
 * Host-driven servers (service_mode = TANDEM_SERVICE_HOST): no thread is
 * started. The thread that calls tandem_server_start becomes the server's
 * SERVICE THREAD and runs the loop by calling tandem_server_service, e.g.
 * from its own poll()/epoll loop, a GSource or a QSocketNotifier, waiting
 * on tandem_server_fd for at most tandem_server_timeout ms in between (the
 * model of libuv's uv_backend_fd/uv_backend_timeout). Nothing of the server
 * runs between those calls: no socket is read, no timer fires, and the auth
 * callback runs only inside tandem_server_service (or inside a
 * tandem_server_* call made on the service thread). Other threads may still
 * call every thread-safe function: they hand the work to the service thread
 * (tandem_server_fd turns readable) and wait until its next
 * tandem_server_service has done it — so they block for as long as the
 * host does not service. On the service thread itself those calls run
 * inline.
 *
 * Process-wide side effects of libwebsockets (servers and clients): SIGPIPE
 * is ignored; lws logs errors, warnings and notices to stderr unless
 * tandem_set_network_log_level says otherwise.
 * ====================================================================== */

#define TANDEM_LOG_NONE 0
#define TANDEM_LOG_ERROR 1  /* errors only */
#define TANDEM_LOG_WARN 2   /* errors and warnings */
#define TANDEM_LOG_NOTICE 3 /* and notices (the libwebsockets default) */

/* Sets what the network layer (libwebsockets) logs to stderr, for the whole
 * process (libwebsockets keeps one global level). Errors: INVALID_ARG
 * (unknown level). Any thread; best before servers/clients are created. */
TANDEM_API tandem_status tandem_set_network_log_level(int32_t level, tandem_error *err);

typedef struct tandem_server tandem_server;

/* What a token may do with a document. */
#define TANDEM_PERMISSION_NONE 0  /* refused */
#define TANDEM_PERMISSION_READ 1  /* receive updates, no writes */
#define TANDEM_PERMISSION_WRITE 2 /* read and write */

/* Decides what `token` may do with document `doc`. Called once per
 * connection with doc_len == 0 (may this token connect at all? anything but
 * NONE accepts) and once per subscription; again for every live connection
 * and subscription on tandem_server_reauthorize/_revoke_token. `token` and
 * `doc` are borrowed for the call (not NUL-terminated: use the lengths; a
 * token may be empty). Returns TANDEM_PERMISSION_*; any other value is NONE.
 * Runs on the server's network thread. */
typedef int32_t (*tandem_auth_cb)(void *user_data, const char *token, size_t token_len,
                                  const char *doc, size_t doc_len);

typedef struct tandem_server_options {
  uint32_t struct_size;      /* set by _init */
  int32_t port;              /* TCP port; 0 (default): the kernel picks one (tandem_server_listen_port) */
  const char *host;          /* address to bind; NULL/default "127.0.0.1" (loopback only); "" = every interface */
  const char *db_path;       /* required: UTF-8 path of the SQLite store (created if missing) */
  const char *static_dir;    /* optional: files served at "/" (NULL: none) */
  int32_t sync;              /* TANDEM_SYNC_* of the store (default FULL) */
  uint32_t reserved;         /* 0 */
  tandem_auth_cb auth;       /* NULL (default): everyone may write everything */
  void *auth_user_data;
  /* Called once with auth_user_data by tandem_server_free (not if
   * tandem_server_new fails: the caller still owns it then). */
  void (*auth_user_data_free)(void *user_data);
  /* Limits (0 = the default, which _init also writes): docs/protocol.md "Limits". */
  uint64_t max_frame_bytes;          /* one WebSocket message (4 MiB) */
  uint64_t max_update_bytes;         /* one update with all its parts (32 MiB) */
  uint32_t max_docs_per_connection;  /* 256 */
  uint32_t max_connections;          /* 10000 */
  double max_updates_per_second;     /* per connection, sustained (500) */
  double update_burst;               /* per connection, bucket size (1000) */
  uint64_t max_outbound_bytes;       /* queued for one peer; more = slow consumer (16 MiB) */
  uint64_t max_awareness_bytes;      /* one awareness state (16 KiB) */
  uint64_t idle_unload_ms;           /* unload a document nobody uses after this (30000) */
  uint64_t awareness_timeout_ms;     /* drop an awareness state not renewed (30000) */
  /* Added after 0.1.0; an older struct_size (ending at awareness_timeout_ms)
   * is still accepted and means TANDEM_SERVICE_OWN_THREAD. */
  int32_t service_mode;              /* TANDEM_SERVICE_OWN_THREAD (default) or TANDEM_SERVICE_HOST */
  uint32_t reserved2;                /* 0 */
} tandem_server_options;

/* tandem_server_options.service_mode: who runs the server's event loop. */
#define TANDEM_SERVICE_OWN_THREAD 0 /* a network thread of the server's own */
#define TANDEM_SERVICE_HOST 1       /* the thread that starts it, through tandem_server_service */

/* Sets struct_size and the defaults. NULL-safe. Any thread. */
TANDEM_API void tandem_server_options_init(tandem_server_options *opts);

/* Creates a server and opens its store; it does not listen yet
 * (tandem_server_start). The options are copied; `opts` is required
 * (db_path). Ownership: *out is the caller's (tandem_server_free). Errors:
 * INVALID_ARG (no db_path, bad option), VERSION (opts from a newer header, or
 * the store file), BUSY (the store is open elsewhere), IO, STORAGE. Any
 * thread. */
TANDEM_API tandem_status tandem_server_new(tandem_server **out, const tandem_server_options *opts,
                                           tandem_error *err);
/* Binds host:port and starts the network thread — or, host-driven, makes
 * the calling thread the service thread (it must then call
 * tandem_server_service). Errors: IO (the address cannot be bound; the
 * message says why), BUSY (already running). A stopped server may be
 * started again (a port of 0 picks a new one; a host-driven server gets a
 * new fd and the calling thread as its service thread). */
TANDEM_API tandem_status tandem_server_start(tandem_server *server, tandem_error *err);
/* Graceful stop: refuses new connections, closes every connection (1001)
 * after its queued frames, waits until every store write is durable (at
 * most 5 s), then ends the network thread. A no-op when not running.
 * Host-driven: on the service thread it runs the loop itself until the
 * stop is done; on any other thread it waits until the service thread's
 * tandem_server_service calls have done it (tandem_server_service then
 * returns CLOSED). */
TANDEM_API tandem_status tandem_server_stop(tandem_server *server, tandem_error *err);
/* Stops (as tandem_server_stop), closes the store and calls
 * auth_user_data_free. NULL-safe. Not concurrently with other calls on the
 * server, nor from its auth callback; a host-driven server is best freed on
 * its service thread (elsewhere it waits for that thread to service). No
 * callback runs after it returns. */
TANDEM_API void tandem_server_free(tandem_server *server);
/* The bound port (the real one when 0 was asked for). Errors: CLOSED (not
 * running). */
TANDEM_API tandem_status tandem_server_listen_port(const tandem_server *server, uint16_t *out,
                                                   tandem_error *err);
/* Runtime revoke: from now on `token` (NUL-terminated) is refused before the
 * auth callback is asked; if the server is running, its connections are
 * closed (close code 4003) before this returns. The list lives as long as
 * the server. Errors: INVALID_ARG (NULL). */
TANDEM_API tandem_status tandem_server_revoke_token(tandem_server *server, const char *token,
                                                    tandem_error *err);
/* Asks the auth callback again for every live connection and subscription
 * and applies the answers before returning: NONE for the connection closes
 * it (4003), NONE for a document unsubscribes it, a changed permission is
 * announced to the peer (TANDEM_EVENT_PERMISSION on its client). Use it
 * after the host's policy changed (a user removed, a document made read
 * only). A no-op when not running. */
TANDEM_API tandem_status tandem_server_reauthorize(tandem_server *server, tandem_error *err);

/* Host-driven servers: runs the server's loop once. Waits until it has
 * work — tandem_server_fd readable, a timer due, or a call from another
 * thread — or `timeout_ms` passed (0: do not wait; negative: no limit),
 * then does everything that is ready without blocking again: accepts and
 * reads connections, writes what is queued, fires timers, applies store
 * completions and work other threads handed over. The auth callback runs
 * inside it, on this thread. A host loop that polls tandem_server_fd
 * itself passes 0. Service thread only (the thread that called
 * tandem_server_start). Errors: INVALID_ARG (NULL; the server runs on its
 * own thread), BUSY (another thread; from the auth callback), CLOSED (not
 * started, or stopped). */
TANDEM_API tandem_status tandem_server_service(tandem_server *server, int32_t timeout_ms,
                                               tandem_error *err);
/* Host-driven servers: *out_fd = the server's event fd (an epoll fd),
 * readable whenever tandem_server_service has work; level-triggered, so
 * poll it again after each service. Put it in poll()/epoll, g_unix_fd_add,
 * a QSocketNotifier or uv_poll; never read or close it. It stays valid
 * until the server stops (a restart gives a new one). Any thread. Errors:
 * INVALID_ARG (NULL; the server runs on its own thread), CLOSED (not
 * running). */
TANDEM_API tandem_status tandem_server_fd(const tandem_server *server, int *out_fd,
                                          tandem_error *err);
/* Host-driven servers: *out_ms = how long the host may wait for
 * tandem_server_fd before calling tandem_server_service anyway: -1 =
 * until the fd is readable, 0 = service now (e.g. sockets were just added
 * to the fd's set, or buffered data waits), otherwise the ms until the
 * next timer. Ask again after every service. Service thread only. Errors:
 * INVALID_ARG (NULL; own thread), BUSY (another thread), CLOSED (not
 * running). */
TANDEM_API tandem_status tandem_server_timeout(tandem_server *server, int32_t *out_ms,
                                               tandem_error *err);

/* ======================================================================
 * Clients: a connection to a sync server that keeps documents of the host in
 * sync, with reconnects (exponential backoff and jitter), offline
 * persistence, awareness and events.
 *
 * Documents: tandem_client_subscribe binds a tandem_doc the HOST owns to a
 * server document. The client keeps its own replica on its network thread;
 * the host's doc is touched only on the host thread:
 *  - local edits made through the tandem_doc API are captured when their
 *    transaction commits (on the host thread) and queued to the network
 *    thread, which stores them (offline outbox) and sends them — edits never
 *    block on the network;
 *  - remote updates are NOT applied to the host's doc by the network thread:
 *    they wait until the host takes the event that announces them
 *    (TANDEM_EVENT_SYNCED / TANDEM_EVENT_REMOTE_CHANGE) with
 *    tandem_client_poll_event or tandem_client_dispatch, which apply them to
 *    the doc (its observers run) on the calling thread before returning it.
 * So the document stays single-threaded and needs no lock; the price is that
 * the host must take events to see remote changes.
 *
 * Threads: the HOST THREAD is the thread that uses the bound documents.
 * tandem_client_subscribe, _unsubscribe, _poll_event, _dispatch, _close and
 * _free must be called there (one thread at a time, like the documents).
 * Thread-safe, callable from any thread at any time (except concurrently
 * with tandem_client_free): tandem_client_connect, _disconnect, _status,
 * _peer_id, _event_fd, _set_awareness, _get_awareness. The only callback
 * that runs on the client's network thread is the wake callback; there, and
 * from a server's auth callback, blocking tandem_client_* calls fail with
 * TANDEM_E_BUSY.
 *
 * Events wait in a queue until taken, either one at a time with
 * tandem_client_poll_event, or through a callback with
 * tandem_client_dispatch. To know when to take them without busy-polling,
 * put tandem_client_event_fd in the host's poll()/epoll/GSource/QSocketNotifier
 * (readable while events are pending), or set a wake callback (called on the
 * network thread when the queue stops being empty: post to the GUI loop from
 * it, never take events there).
 *
 * After tandem_client_close every call but tandem_client_free fails with
 * TANDEM_E_CLOSED.
 * ====================================================================== */

typedef struct tandem_client tandem_client;

/* Connection status. */
#define TANDEM_CLIENT_OFFLINE 0    /* not connected (never, or lost: a reconnect may be scheduled) */
#define TANDEM_CLIENT_CONNECTING 1 /* a connection attempt is in progress */
#define TANDEM_CLIENT_ONLINE 2     /* connected; subscriptions syncing */
#define TANDEM_CLIENT_SYNCED 3     /* connected and every subscription synced */

/* Called on the client's network thread when the event queue stops being
 * empty. Must be quick and must not call tandem_client_* functions (except
 * the thread-safe ones); typically it posts a message to the host loop. */
typedef void (*tandem_wake_cb)(void *user_data);

typedef struct tandem_client_options {
  uint32_t struct_size;         /* set by _init */
  int32_t connect;              /* 1 (default): connect at once; 0: offline until tandem_client_connect */
  const char *url;              /* required: ws://host:port/path */
  const char *token;            /* sent to the server's auth callback (NULL: "") */
  uint64_t peer_id;             /* the client's id (TANDEM_PEER_RANDOM, default: a fresh random one) */
  const char *offline_db_path;  /* optional: a store keeping the replicas and the un-acked edits,
                                   resent by the next client that opens it (NULL: none) */
  const uint32_t *backoff_ms;   /* reconnect delays, one per failed attempt, the last repeated;
                                   copied. NULL (default): 200, 400, 800, 1600, 3200, 5000 */
  size_t backoff_count;
  int32_t jitter_percent;       /* each delay is scaled by 1 +- jitter (default 30; 0..100) */
  uint32_t reserved;            /* 0 */
  uint64_t max_incoming_bytes;  /* largest message accepted from the server (default 64 MiB) */
  tandem_wake_cb wake;          /* optional wake callback (network thread) */
  void *wake_user_data;
  /* Called once with wake_user_data by tandem_client_free (not if
   * tandem_client_new fails). */
  void (*wake_user_data_free)(void *user_data);
} tandem_client_options;

TANDEM_API void tandem_client_options_init(tandem_client_options *opts);

/* Creates a client and starts its network thread (connecting at once unless
 * opts->connect is 0). Options are copied. Ownership: *out is the caller's
 * (tandem_client_free). Errors: INVALID_ARG (no url, not ws://host:port/path,
 * jitter out of range), VERSION, BUSY/IO/STORAGE (offline store). Any thread;
 * the thread that calls the host-thread functions later need not be this
 * one. */
TANDEM_API tandem_status tandem_client_new(tandem_client **out, const tandem_client_options *opts,
                                           tandem_error *err);
/* Closes (as tandem_client_close, if not closed yet), joins the network
 * thread, closes the event fd and calls wake_user_data_free. NULL-safe.
 * Host thread; not concurrently with any other call on the client. No
 * callback runs after it returns. Pending events are dropped. */
TANDEM_API void tandem_client_free(tandem_client *client);
/* Connects (and keeps reconnecting with backoff) — undoes _disconnect.
 * Thread-safe. Errors: CLOSED. */
TANDEM_API tandem_status tandem_client_connect(tandem_client *client, tandem_error *err);
/* Closes the connection and stays offline (edits keep being queued and are
 * sent after the next connect). Thread-safe. Errors: CLOSED. */
TANDEM_API tandem_status tandem_client_disconnect(tandem_client *client, tandem_error *err);
/* Ends the client: closes the connection, stops the network thread, unbinds
 * every document (they stay the host's, unchanged), drops pending events.
 * Un-acked edits stay in the offline store if there is one. Host thread.
 * Errors: CLOSED (already closed). */
TANDEM_API tandem_status tandem_client_close(tandem_client *client, tandem_error *err);
/* The connection status (TANDEM_CLIENT_*) now. Thread-safe. Errors: CLOSED. */
TANDEM_API tandem_status tandem_client_status(const tandem_client *client, int32_t *out,
                                              tandem_error *err);
/* The client's peer id (as awareness lists it). Thread-safe. Errors: CLOSED. */
TANDEM_API tandem_status tandem_client_peer_id(const tandem_client *client, uint64_t *out,
                                               tandem_error *err);

/* Subscribes to server document `name` (NUL-terminated UTF-8, non-empty) and
 * binds `doc` to it. Whatever `doc` already holds is merged into the shared
 * document (sent as a local edit); the server's state (and, with an offline
 * store, the stored replica) arrives with TANDEM_EVENT_SYNCED. From now on
 * the doc's committed local transactions are sent, and remote changes are
 * applied to it when the host takes their events. `doc` stays the host's:
 * it must outlive the subscription or be freed first (tandem_doc_free
 * unbinds it; the subscription stays until _unsubscribe). A doc may be bound
 * to one subscription at a time; its own update listener keeps working.
 * When the server grants only READ, local edits stay in the doc and are not
 * sent; each is reported by a TANDEM_EVENT_ERROR with code
 * TANDEM_NET_ERROR_FORBIDDEN.
 * Host thread (the doc's thread). Blocks briefly (loading the offline
 * replica). Errors: INVALID_ARG (NULL, bad name, `name` already subscribed
 * on this client, doc already bound), CLOSED, STORAGE (a corrupt offline
 * replica), BUSY (from a Tandem callback). */
TANDEM_API tandem_status tandem_client_subscribe(tandem_client *client, const char *name,
                                                 tandem_doc *doc, tandem_error *err);
/* Unsubscribes `name` and unbinds its doc (if any). Edits the server has not
 * acked yet are dropped (the offline store keeps them). Host thread.
 * Errors: NOT_FOUND (not subscribed), CLOSED, BUSY. */
TANDEM_API tandem_status tandem_client_unsubscribe(tandem_client *client, const char *name,
                                                   tandem_error *err);

/* ---- Awareness: ephemeral per-peer state of a document (cursor, name,
 * selection...), relayed by the server and never stored. */

/* Sets this client's awareness state for subscribed document `name` to the
 * bytes `state` (copied; the server limits their size); len 0 clears it.
 * Sent now if online, else after the next connect. Thread-safe (not from
 * the wake callback). Errors: NOT_FOUND (not subscribed), INVALID_ARG,
 * CLOSED, BUSY. */
TANDEM_API tandem_status tandem_client_set_awareness(tandem_client *client, const char *name,
                                                     const uint8_t *state, size_t len,
                                                     tandem_error *err);

typedef struct tandem_awareness_entry {
  uint64_t peer_id; /* the remote client's peer id */
  tandem_buf state; /* its state bytes (NUL-terminated, owned by the list) */
} tandem_awareness_entry;

typedef struct tandem_awareness {
  tandem_awareness_entry *items; /* sorted by peer_id */
  size_t count;
} tandem_awareness;

/* Frees every entry and the array, sets *list to {NULL, 0}. NULL-safe. Any
 * thread. */
TANDEM_API void tandem_awareness_free(tandem_awareness *list);
/* The other peers' awareness states of `name` now (not this client's own).
 * Free with tandem_awareness_free. Thread-safe (not from the wake callback).
 * Errors: NOT_FOUND (not subscribed), CLOSED, BUSY. */
TANDEM_API tandem_status tandem_client_get_awareness(tandem_client *client, const char *name,
                                                     tandem_awareness *out, tandem_error *err);

/* ---- Events */

#define TANDEM_EVENT_STATUS 1        /* status: the connection status changed */
#define TANDEM_EVENT_SYNCED 2        /* doc: initial sync done (after each (re)connect); the
                                        bound doc now holds the server's state */
#define TANDEM_EVENT_REMOTE_CHANGE 3 /* doc: other peers' updates were applied to the bound doc */
#define TANDEM_EVENT_ACKED 4         /* doc, seq: the server has stored our edits up to seq */
#define TANDEM_EVENT_AWARENESS 5     /* doc: remote awareness states changed */
#define TANDEM_EVENT_PERMISSION 6    /* doc, permission: the server changed our permission */
#define TANDEM_EVENT_ERROR 7         /* code, message, doc (maybe empty), seq (of a refused update) */
#define TANDEM_EVENT_EPOCH_CHANGED 8 /* doc: the server's stored document is not the one seen
                                        before (restored or recreated) */

/* Error codes of TANDEM_EVENT_ERROR: the protocol's Error.code
 * (docs/protocol.md), or 0 for an error of this client. */
#define TANDEM_NET_ERROR_FORBIDDEN 4 /* no permission for the doc, or a write while read only */
#define TANDEM_NET_ERROR_PERMISSION_CHANGED 9

typedef struct tandem_event {
  uint32_t struct_size; /* set by tandem_event_init */
  int32_t type;         /* TANDEM_EVENT_* */
  int32_t status;       /* STATUS: TANDEM_CLIENT_* */
  int32_t permission;   /* PERMISSION: TANDEM_PERMISSION_* */
  uint32_t code;        /* ERROR: see above */
  uint32_t reserved;
  uint64_t seq;         /* ACKED, ERROR */
  tandem_buf doc;       /* the document's name (NUL-terminated; empty for STATUS), owned */
  tandem_buf message;   /* ERROR: UTF-8 text (NUL-terminated), owned */
} tandem_event;

/* Zeroes *ev and sets struct_size. NULL-safe. Any thread. */
TANDEM_API void tandem_event_init(tandem_event *ev);
/* Frees what the event holds and re-initialises it. NULL-safe. Any thread. */
TANDEM_API void tandem_event_clear(tandem_event *ev);

/* Takes the oldest pending event into *out (which must have been
 * initialised with tandem_event_init; what it held is freed first, so one
 * struct can be reused in a loop — clear it after the last one). For SYNCED
 * and REMOTE_CHANGE of a bound document the remote updates are applied to
 * the doc first, on this thread (its observers run inside this call, origin
 * "remote"). Host thread. Returns TANDEM_E_AGAIN (nothing touched) when no
 * event is pending. Errors: BUSY (the bound doc has a transaction open:
 * the event stays queued; commit and poll again), CLOSED, INVALID_ARG. */
TANDEM_API tandem_status tandem_client_poll_event(tandem_client *client, tandem_event *out,
                                                  tandem_error *err);

/* Called by tandem_client_dispatch on the calling thread; `event` is
 * borrowed for the call. Return 0 to go on, non-zero to stop dispatching
 * (dispatch then returns TANDEM_E_USER). The callback may edit bound docs
 * and call the thread-safe client functions and _unsubscribe. */
typedef int32_t (*tandem_event_cb)(void *user_data, const tandem_event *event);

/* Takes up to `max` pending events (0: all pending when it is called) as
 * tandem_client_poll_event does, calling `cb` with each. *out_count
 * (optional) is the number delivered. Host thread. Errors: USER (cb asked to
 * stop), as tandem_client_poll_event otherwise (no event pending is OK with
 * *out_count == 0). */
TANDEM_API tandem_status tandem_client_dispatch(tandem_client *client, tandem_event_cb cb,
                                                void *user_data, size_t max, size_t *out_count,
                                                tandem_error *err);

/* A file descriptor (Linux eventfd) that is readable exactly while events
 * are pending: add it to the host's poll()/epoll/GLib/Qt loop and take
 * events when it fires. Owned by the client (never read, write or close it);
 * valid until tandem_client_free. Thread-safe. Errors: CLOSED. */
TANDEM_API tandem_status tandem_client_event_fd(const tandem_client *client, int *out_fd,
                                                tandem_error *err);

/* ======================================================================
 * Undo manager
 *
 * Undoes and redoes this peer's own transactions on a set of containers
 * (and everything nested in them), leaving other peers' edits in place:
 * undoing an insert deletes what is left of it, undoing a delete restores
 * the content, undoing a map write restores the previous value. Local
 * transactions that commit within `capture_window_ms` of each other merge
 * into one step. Undo and redo are themselves local transactions (origin
 * "undo" / "redo"): they reach observers, the update listener and a bound
 * client like any edit. docs/undo.md has the rules.
 *
 * Threading: like its document — one thread at a time, the document's.
 * Lifetime: a manager belongs to its document; tandem_doc_free ends it
 * (later calls fail with CLOSED) but the handle must still be released
 * with tandem_undo_free.
 * ====================================================================== */

typedef struct tandem_undo tandem_undo;

typedef struct tandem_undo_options {
  uint32_t struct_size;       /* sizeof(tandem_undo_options), set by _init */
  uint32_t reserved;          /* 0 */
  uint64_t capture_window_ms; /* merge window for consecutive transactions (default 500) */
  uint64_t max_steps;         /* oldest steps dropped beyond this; 0 = no limit (default) */
} tandem_undo_options;

/* Sets struct_size and the defaults. NULL-safe. Any thread. */
TANDEM_API void tandem_undo_options_init(tandem_undo_options *opts);

/* Creates an undo manager over `scope` (`count` containers of `doc`; at
 * least one) that tracks local transactions committed from now on. `opts`
 * may be NULL. Ownership: *out belongs to the caller (tandem_undo_free).
 * Errors: INVALID_ARG (NULL doc/out/scope, count 0, a handle of another
 * document, opts not initialised), VERSION (opts from a newer header),
 * NO_MEMORY. The document's thread. */
TANDEM_API tandem_status tandem_undo_new(tandem_undo **out, tandem_doc *doc,
                                         const tandem_container *scope, size_t count,
                                         const tandem_undo_options *opts, tandem_error *err);

/* Releases the manager (it stops tracking). NULL-safe. The document's
 * thread, or any thread once the document is freed. */
TANDEM_API void tandem_undo_free(tandem_undo *undo);

/* Undoes the newest step (moving it to the redo stack). *out_changed
 * (optional) is 1 if the document changed, 0 if there was nothing to undo.
 * Errors: INVALID_ARG (NULL), CLOSED (the document was freed), BUSY (a
 * transaction is open on the document). The document's thread. */
TANDEM_API tandem_status tandem_undo_undo(tandem_undo *undo, int *out_changed, tandem_error *err);

/* Redoes the newest undone step; a new local edit in scope clears the redo
 * stack. Same out-parameter, errors and thread as tandem_undo_undo. */
TANDEM_API tandem_status tandem_undo_redo(tandem_undo *undo, int *out_changed, tandem_error *err);

/* Steps available to undo / redo. Errors: INVALID_ARG (NULL), CLOSED.
 * The document's thread. */
TANDEM_API tandem_status tandem_undo_counts(const tandem_undo *undo, size_t *out_undo,
                                            size_t *out_redo, tandem_error *err);

/* Ends the current capture window: the next transaction starts a new step
 * even if it comes within capture_window_ms. Errors: INVALID_ARG, CLOSED.
 * The document's thread. */
TANDEM_API tandem_status tandem_undo_stop_capturing(tandem_undo *undo, tandem_error *err);

/* Drops both stacks. Errors: INVALID_ARG, CLOSED. The document's thread. */
TANDEM_API tandem_status tandem_undo_clear(tandem_undo *undo, tandem_error *err);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TANDEM_TANDEM_H_ */
