// List sections: DocUpdate.lists (docs/format.md), every List section of a
// message in one set of columns, and what a List section reads in either
// layout (a SequenceOps of its own, or those shared columns).
//
// A whiteboard holds 10,000 small lists. As a SequenceOps each, a load
// parsed 20,000 sub-messages and a dozen repeated fields per list; in
// shared columns it parses a handful of fields once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <google/protobuf/repeated_field.h>

#include "column_helpers.h"
#include "columns.h"
#include "doc_ops.h"
#include "status.h"

namespace tandem::wire {
class ListSections;
}  // namespace tandem::wire

namespace tandem {

class ValueColumnWriter;
class ValueReader;

// Whether a message with `list_sections` List sections puts them in
// DocUpdate.lists (two or more) rather than in SequenceOps: one list costs
// a few bytes less as a SequenceOps, which is what most updates hold.
inline bool UseListSections(size_t list_sections) {
  return list_sections >= 2;
}

// Writes `lists` (List sections in ascending container order, each one's
// rows and deletes in the order to write; `container` a position in the
// written table) to `out`, and their values, section after section, to
// `values`.
void EncodeListSections(const std::vector<SequenceSection*>& lists, const PeerList& peers,
                        ValueColumnWriter* values, wire::ListSections* out);

// Reads DocUpdate.lists, appending one section per list to `out`. Each
// section's container must be a List of `table`; its values are taken from
// the message's `values` column, of which `*values_left` are not taken yet
// (as SequenceSection::doubles when `doubles` and all are plain doubles).
// Everything is checked before a large allocation: row counts against the
// columns, visible items against the values left. On error `out` holds an
// unspecified prefix.
Status DecodeListSections(const wire::ListSections& in, const std::vector<ContainerKey>& table,
                          std::span<const PeerId> peers, ValueReader* values, size_t* values_left,
                          bool doubles, std::vector<SequenceSection>* out);

// Takes a List section's `visible` values from a message's shared column
// (the caller checked that many are left): into sec->doubles when `doubles`
// and every one is a plain double, else into sec->values. Sets
// sec->scalars_only.
Status TakeListValues(ValueReader* values, uint64_t visible, bool doubles, SequenceSection* sec);

// Reads rows [begin, end) of dead-container columns into sec->dead_containers.
// sec's inserts are read already: each dead container must lie in one of its
// deleted rows, in ascending id order. `peer_runs` (checked against the
// whole column) and `counters` run on from the previous section.
Status ReadDeadContainers(column::RunReader* peer_runs, column::CounterReader* counters,
                          const google::protobuf::RepeatedField<int64_t>& counter,
                          const google::protobuf::RepeatedField<uint32_t>& type, size_t begin,
                          size_t end, std::span<const PeerId> peers, SequenceSection* sec);

}  // namespace tandem
