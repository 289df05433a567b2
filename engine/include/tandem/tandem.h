/*
 * tandem.h — the C ABI of Tandem, an embeddable real-time collaboration
 * engine. One header, C11 and C++ clean. docs/c-api.md explains the
 * conventions; the short version:
 *
 *  - Names: functions tandem_<object>_<verb>, types tandem_<name>, macros and
 *    constants TANDEM_*. Only tandem_* symbols are exported.
 *  - Handles (tandem_doc, tandem_store) are opaque, made by a constructor that
 *    takes `out` first (*out is NULL on failure) and released by _free, which
 *    accepts NULL and never fails. Other calls take the object first, then
 *    inputs, then outputs, then `err`.
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
 * tandem_store is thread-safe except tandem_store_free. Free functions for
 * returned data (tandem_buf_free, ...) may be called from any thread.
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
 * tail). Errors: NOT_FOUND, STORAGE, IO. */
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
 * *out_id (optional) is its id. Errors: NOT_FOUND, INVALID_ARG (bad UTF-8). */
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
 * Reserved for the parts of issue 6 that are built elsewhere and will be
 * added here (same conventions):
 *   - Undo: tandem_undo_manager_new/_free, _undo, _redo, ... (over
 *     engine/core/undo_manager.h).
 *   - Servers: tandem_server_options(_init), tandem_server_new/_free,
 *     _start/_stop, auth callback, host-driven service.
 *   - Clients: tandem_client_options(_init), tandem_client_new/_free,
 *     _connect, _subscribe, _status, awareness, events by callback or
 *     tandem_client_poll_event + tandem_client_event_fd / wake-up callback.
 * ====================================================================== */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TANDEM_TANDEM_H_ */
