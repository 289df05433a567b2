// Local edits shared by more than one handle: the value check of MapRef and
// ListRef, and the sequence insert and delete of ListRef and TextRef. A
// List and a Text are the same sequence CRDT, so their local operations are
// written once here (internal to engine/core).
#pragma once

#include <cstdint>
#include <string_view>

#include "doc.h"
#include "doc_state.h"
#include "status.h"
#include "utf8.h"
#include "value.h"

namespace tandem::local_edit {

// Ok for a value a handle may write as is; an error for a container value
// (those are made with GetOrCreate/InsertContainer) or a string that is not
// valid UTF-8.
Status CheckScalar(const Value& v);

// The items of Text or List `c`.
inline SeqState& Seq(Doc* doc, uint32_t c) {
  return *doc->node(c).seq;
}

// Inserts `n` items with content `text` at code point `at` as local ops;
// returns the first counter.
uint64_t LocalSeqInsert(Doc* doc, uint32_t c, uint64_t at, std::string_view text,
                        const utf8::Counts& counts);

// Deletes visible items [from, from + n) of Text or List `c` as local ops.
void LocalSeqDelete(Doc* doc, uint32_t c, uint64_t from, uint64_t n);

}  // namespace tandem::local_edit
