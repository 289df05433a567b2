/* Observers and the update listener through the C API: the change deltas of
 * every container type as C structs, local/remote and origin, deep and
 * shallow, unobserve (also from inside a callback), user_data_free timing. */
#include "check.h"

typedef struct recorder {
  int events;
  int local;
  char origin[32];
  size_t changes;
  char log[1024]; /* a textual rendering of the last event's changes */
  int freed;
} recorder;

static void append(recorder *r, const char *s) {
  size_t n = strlen(r->log);
  snprintf(r->log + n, sizeof r->log - n, "%s", s);
}

static void render_value(recorder *r, const tandem_value *v) {
  char tmp[96];
  switch (v->type) {
    case TANDEM_VALUE_NULL: append(r, "null"); break;
    case TANDEM_VALUE_BOOL: append(r, v->bool_value ? "true" : "false"); break;
    case TANDEM_VALUE_INT:
      snprintf(tmp, sizeof tmp, "%lld", (long long)v->int_value);
      append(r, tmp);
      break;
    case TANDEM_VALUE_DOUBLE:
      snprintf(tmp, sizeof tmp, "%g", v->double_value);
      append(r, tmp);
      break;
    case TANDEM_VALUE_STRING:
      snprintf(tmp, sizeof tmp, "'%.*s'", (int)v->len, v->data);
      append(r, tmp);
      break;
    case TANDEM_VALUE_BYTES: append(r, "bytes"); break;
    case TANDEM_VALUE_CONTAINER:
      snprintf(tmp, sizeof tmp, "<%u%s>", v->container.type, v->container.doc_id ? "" : "?");
      append(r, tmp);
      break;
  }
}

static void on_change(void *user_data, const tandem_change_event *ev) {
  recorder *r = (recorder *)user_data;
  char tmp[128];
  r->events++;
  r->local = ev->local;
  snprintf(r->origin, sizeof r->origin, "%.*s", (int)ev->origin_len, ev->origin);
  r->changes = ev->change_count;
  r->log[0] = 0;
  for (size_t i = 0; i < ev->change_count; ++i) {
    const tandem_change *c = &ev->changes[i];
    snprintf(tmp, sizeof tmp, "%s%.*s:", i ? " | " : "", (int)c->path_len, c->path);
    append(r, tmp);
    for (size_t k = 0; k < c->text_step_count; ++k) {
      const tandem_text_step *s = &c->text_steps[k];
      if (s->kind == TANDEM_STEP_INSERT)
        snprintf(tmp, sizeof tmp, " +'%.*s'", (int)s->len, s->text);
      else
        snprintf(tmp, sizeof tmp, " %c%llu", s->kind == TANDEM_STEP_RETAIN ? '=' : '-',
                 (unsigned long long)s->count);
      append(r, tmp);
    }
    for (size_t k = 0; k < c->list_step_count; ++k) {
      const tandem_list_step *s = &c->list_steps[k];
      if (s->kind == TANDEM_STEP_INSERT) {
        append(r, " +[");
        for (uint64_t j = 0; j < s->count; ++j) {
          if (j) append(r, ",");
          render_value(r, &s->values[j]);
        }
        append(r, "]");
      } else {
        snprintf(tmp, sizeof tmp, " %c%llu", s->kind == TANDEM_STEP_RETAIN ? '=' : '-',
                 (unsigned long long)s->count);
        append(r, tmp);
      }
    }
    for (size_t k = 0; k < c->key_count; ++k) {
      const tandem_key_change *kc = &c->keys[k];
      snprintf(tmp, sizeof tmp, " %.*s:", (int)kc->key_len, kc->key);
      append(r, tmp);
      if (kc->had_old) render_value(r, &kc->old_value); else append(r, "-");
      append(r, "->");
      if (kc->has_new) render_value(r, &kc->new_value); else append(r, "-");
    }
    if (c->counter_delta) {
      snprintf(tmp, sizeof tmp, " %+lld", (long long)c->counter_delta);
      append(r, tmp);
    }
  }
}

static void free_recorder(void *user_data) { ((recorder *)user_data)->freed++; }

static void test_events_of_every_type(void) {
  tandem_doc *a = new_doc(1), *b = new_doc(2);
  tandem_container ra = root_of(a), rb = root_of(b), t, l, c, sub;
  CHECK_OK(tandem_map_get_or_create(a, &ra, "t", TANDEM_CONTAINER_TEXT, &t, ERR));
  CHECK_OK(tandem_map_get_or_create(a, &ra, "l", TANDEM_CONTAINER_LIST, &l, ERR));
  CHECK_OK(tandem_map_get_or_create(a, &ra, "c", TANDEM_CONTAINER_COUNTER, &c, ERR));
  tandem_value v = tandem_value_int(1);
  CHECK_OK(tandem_map_set(a, &ra, "k", &v, ERR));
  tandem_buf u = {NULL, 0};
  CHECK_OK(tandem_doc_encode_update(a, NULL, 0, &u, ERR));
  CHECK_OK(tandem_doc_apply_update(b, u.data, u.len, NULL, NULL, ERR));
  tandem_buf_free(&u);

  recorder ra_rec, rb_rec;
  memset(&ra_rec, 0, sizeof ra_rec);
  memset(&rb_rec, 0, sizeof rb_rec);
  uint64_t ida = 0, idb = 0;
  CHECK_OK(tandem_doc_observe(a, &ra, 1, on_change, &ra_rec, free_recorder, &ida, ERR));
  CHECK_OK(tandem_doc_observe(b, &rb, 1, on_change, &rb_rec, free_recorder, &idb, ERR));

  CHECK_OK(tandem_doc_begin_transaction(a, "edit", ERR));
  CHECK_OK(tandem_text_insert(a, &t, 0, TANDEM_UNIT_UTF8, "hello", 5, ERR));
  CHECK_OK(tandem_text_delete(a, &t, 0, 1, TANDEM_UNIT_UTF8, ERR));
  tandem_value vs[2] = {tandem_value_string("x"), tandem_value_double(2.5)};
  CHECK_OK(tandem_list_insert(a, &l, 0, vs, 2, ERR));
  CHECK_OK(tandem_list_insert_container(a, &l, 2, TANDEM_CONTAINER_MAP, &sub, ERR));
  CHECK_OK(tandem_counter_add(a, &c, 5, ERR));
  v = tandem_value_bool(0);
  CHECK_OK(tandem_map_set(a, &ra, "k", &v, ERR));
  CHECK_OK(tandem_map_set(a, &ra, "new", &v, ERR));
  CHECK(ra_rec.events == 0); /* nothing before commit */
  CHECK_OK(tandem_doc_commit_transaction(a, &u, ERR));
  CHECK(ra_rec.events == 1 && ra_rec.local == 1 && strcmp(ra_rec.origin, "edit") == 0);
  CHECK(ra_rec.changes == 4);
  CHECK(strcmp(ra_rec.log,
               ": k:1->false new:-->false | /t: +'ello' | /l: +['x',2.5,<1>] | /c: +5") == 0);
  if (strcmp(ra_rec.log, ": k:1->false new:-->false | /t: +'ello' | /l: +['x',2.5,<1>] | /c: +5"))
    fprintf(stderr, "got: %s\n", ra_rec.log);

  /* The same change arrives remotely with the origin given to apply. */
  CHECK_OK(tandem_doc_apply_update(b, u.data, u.len, "net", NULL, ERR));
  tandem_buf_free(&u);
  CHECK(rb_rec.events == 1 && rb_rec.local == 0 && strcmp(rb_rec.origin, "net") == 0);
  CHECK(strcmp(rb_rec.log, ra_rec.log) == 0);

  /* Deletes and retains, map deletion. */
  CHECK_OK(tandem_doc_begin_transaction(a, NULL, ERR));
  CHECK_OK(tandem_list_delete(a, &l, 1, 1, ERR));
  CHECK_OK(tandem_text_delete(a, &t, 1, 2, TANDEM_UNIT_CODEPOINT, ERR));
  CHECK_OK(tandem_map_delete(a, &ra, "new", ERR));
  CHECK_OK(tandem_doc_commit_transaction(a, NULL, ERR));
  CHECK(ra_rec.events == 2);
  CHECK(strcmp(ra_rec.log, ": new:false->- | /t: =1 -2 | /l: =1 -1") == 0);
  if (strcmp(ra_rec.log, ": new:false->- | /t: =1 -2 | /l: =1 -1"))
    fprintf(stderr, "got: %s\n", ra_rec.log);

  /* Unobserve: no more events, user_data_free called exactly once. */
  CHECK_OK(tandem_doc_unobserve(a, ida, ERR));
  CHECK(ra_rec.freed == 1);
  CHECK_FAILS(tandem_doc_unobserve(a, ida, ERR), TANDEM_E_NOT_FOUND);
  CHECK_OK(tandem_counter_add(a, &c, 1, ERR));
  CHECK(ra_rec.events == 2);
  /* Freeing the document ends the remaining registrations. */
  tandem_doc_free(b);
  CHECK(rb_rec.freed == 1);
  tandem_doc_free(a);
  CHECK(ra_rec.freed == 1);
}

static void test_shallow_vs_deep(void) {
  tandem_doc *a = new_doc(1);
  tandem_container r = root_of(a), m;
  CHECK_OK(tandem_map_get_or_create(a, &r, "m", TANDEM_CONTAINER_MAP, &m, ERR));
  recorder shallow, deep;
  memset(&shallow, 0, sizeof shallow);
  memset(&deep, 0, sizeof deep);
  uint64_t id1, id2;
  CHECK_OK(tandem_doc_observe(a, &r, 0, on_change, &shallow, NULL, &id1, ERR));
  CHECK_OK(tandem_doc_observe(a, &r, 1, on_change, &deep, NULL, &id2, ERR));
  tandem_value v = tandem_value_int(3);
  CHECK_OK(tandem_map_set(a, &m, "x", &v, ERR));
  CHECK(shallow.events == 0 && deep.events == 1);
  CHECK(strcmp(deep.log, "/m: x:-->3") == 0);
  CHECK_OK(tandem_map_set(a, &r, "y", &v, ERR));
  CHECK(shallow.events == 1 && deep.events == 2);
  CHECK(strcmp(shallow.origin, "") == 0 && shallow.local == 1);
  tandem_doc_free(a);
}

/* An observer that unobserves itself and another observer on its first call. */
typedef struct self_remover {
  tandem_doc *doc;
  uint64_t self_id, other_id;
  int calls;
  int freed;
} self_remover;

static void remove_both(void *user_data, const tandem_change_event *ev) {
  self_remover *s = (self_remover *)user_data;
  (void)ev;
  s->calls++;
  CHECK(s->freed == 0); /* never freed while running */
  CHECK_OK(tandem_doc_unobserve(s->doc, s->self_id, ERR));
  CHECK(s->freed == 0);
  CHECK_OK(tandem_doc_unobserve(s->doc, s->other_id, ERR));
  /* Edits from a callback are allowed; they make their own event. */
  tandem_container r = root_of(s->doc);
  tandem_value v = tandem_value_int(s->calls);
  CHECK_OK(tandem_map_set(s->doc, &r, "from-callback", &v, ERR));
}

static void free_self_remover(void *user_data) { ((self_remover *)user_data)->freed++; }

static void test_unobserve_from_callback(void) {
  tandem_doc *a = new_doc(1);
  tandem_container r = root_of(a);
  self_remover s;
  memset(&s, 0, sizeof s);
  s.doc = a;
  recorder other;
  memset(&other, 0, sizeof other);
  CHECK_OK(tandem_doc_observe(a, &r, 1, remove_both, &s, free_self_remover, &s.self_id, ERR));
  CHECK_OK(tandem_doc_observe(a, &r, 1, on_change, &other, free_recorder, &s.other_id, ERR));
  tandem_value v = tandem_value_int(1);
  CHECK_OK(tandem_map_set(a, &r, "k", &v, ERR));
  CHECK(s.calls == 1 && s.freed == 1);
  /* The second observer was removed before its turn: never called. */
  CHECK(other.events == 0 && other.freed == 1);
  int32_t has = 0;
  CHECK_OK(tandem_map_has(a, &r, "from-callback", &has, ERR));
  CHECK(has == 1);
  tandem_doc_free(a);
  CHECK(s.freed == 1 && other.freed == 1);
}

static void test_observe_errors(void) {
  tandem_doc *a = new_doc(1), *b = new_doc(2);
  tandem_container r = root_of(a), rb = root_of(b);
  recorder rec;
  memset(&rec, 0, sizeof rec);
  uint64_t id = 0;
  CHECK_FAILS(tandem_doc_observe(a, &r, 0, NULL, &rec, free_recorder, &id, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_doc_observe(a, &rb, 0, on_change, &rec, free_recorder, &id, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_doc_observe(a, &r, 0, on_change, &rec, free_recorder, NULL, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK_FAILS(tandem_doc_observe(NULL, &r, 0, on_change, &rec, free_recorder, &id, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK(rec.freed == 0); /* a failed registration never calls either function */
  tandem_doc_free(a);
  tandem_doc_free(b);
  CHECK(rec.freed == 0 && rec.events == 0);
}

typedef struct update_sink {
  int calls;
  size_t bytes;
  tandem_doc *mirror;
  int freed;
} update_sink;

static void on_update(void *user_data, const uint8_t *update, size_t len) {
  update_sink *s = (update_sink *)user_data;
  s->calls++;
  s->bytes += len;
  CHECK_OK(tandem_doc_apply_update(s->mirror, update, len, NULL, NULL, ERR));
}

static void free_sink(void *user_data) { ((update_sink *)user_data)->freed++; }

static void test_update_listener(void) {
  tandem_doc *a = new_doc(1);
  update_sink s1, s2;
  memset(&s1, 0, sizeof s1);
  memset(&s2, 0, sizeof s2);
  s1.mirror = new_doc(2);
  s2.mirror = new_doc(3);
  CHECK_OK(tandem_doc_set_update_listener(a, on_update, &s1, free_sink, ERR));
  tandem_container r = root_of(a), t;
  CHECK_OK(tandem_doc_begin_transaction(a, NULL, ERR));
  CHECK_OK(tandem_map_get_or_create(a, &r, "t", TANDEM_CONTAINER_TEXT, &t, ERR));
  CHECK_OK(tandem_text_insert(a, &t, 0, TANDEM_UNIT_UTF8, "abc", 3, ERR));
  CHECK_OK(tandem_doc_commit_transaction(a, NULL, ERR));
  CHECK(s1.calls == 1 && s1.bytes > 0);
  CHECK_OK(tandem_text_insert(a, &t, 3, TANDEM_UNIT_UTF8, "d", 1, ERR));
  CHECK(s1.calls == 2);
  /* An empty transaction makes no update. */
  CHECK_OK(tandem_doc_begin_transaction(a, NULL, ERR));
  CHECK_OK(tandem_doc_commit_transaction(a, NULL, ERR));
  CHECK(s1.calls == 2);
  tandem_buf j1 = {NULL, 0}, j2 = {NULL, 0};
  CHECK_OK(tandem_doc_to_json(a, NULL, &j1, ERR));
  CHECK_OK(tandem_doc_to_json(s1.mirror, NULL, &j2, ERR));
  CHECK(j1.len == j2.len && memcmp(j1.data, j2.data, j1.len) == 0);
  tandem_buf_free(&j1);
  tandem_buf_free(&j2);
  /* Replacing the listener frees the previous user_data. */
  CHECK_OK(tandem_doc_set_update_listener(a, on_update, &s2, free_sink, ERR));
  CHECK(s1.freed == 1 && s2.freed == 0);
  CHECK_OK(tandem_text_insert(a, &t, 0, TANDEM_UNIT_UTF8, "z", 1, ERR));
  CHECK(s1.calls == 2 && s2.calls == 1);
  CHECK_OK(tandem_doc_set_update_listener(a, NULL, NULL, NULL, ERR));
  CHECK(s2.freed == 1);
  CHECK_OK(tandem_text_insert(a, &t, 0, TANDEM_UNIT_UTF8, "z", 1, ERR));
  CHECK(s2.calls == 1);
  CHECK_FAILS(tandem_doc_set_update_listener(NULL, on_update, &s2, free_sink, ERR),
              TANDEM_E_INVALID_ARG);
  CHECK(s2.freed == 1);
  tandem_doc_free(a);
  tandem_doc_free(s1.mirror);
  tandem_doc_free(s2.mirror);
}

int main(void) {
  RUN(test_events_of_every_type);
  RUN(test_shallow_vs_deep);
  RUN(test_unobserve_from_callback);
  RUN(test_observe_errors);
  RUN(test_update_listener);
  return check_report();
}
