// Doc codec: DocOps <-> the wire::DocUpdate protobuf message.
//
// Encoding is canonical: the container table is sorted by name (parents
// before children), sections by container, every operation list by id with
// adjacent rows merged, so the same set of operations always encodes to the
// same bytes. Decoding validates everything that does not depend on a
// replica's state (docs/format.md): what decodes is safe to hand to a Doc.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/repeated_ptr_field.h>

#include "columns.h"
#include "doc_ops.h"
#include "status.h"

namespace tandem::wire {
class DocUpdate;
class ContainerRef;
}  // namespace tandem::wire

namespace tandem {

// How sequence inserts are ordered: by id (updates) or as given, which for
// snapshots is document order.
enum class InsertOrder { kById, kAsGiven };

// A container table as given (parents must come before children).
void EncodeContainerTable(const std::vector<ContainerKey>& table, const PeerList& peers,
                          google::protobuf::RepeatedPtrField<wire::ContainerRef>* out);
Status DecodeContainerTable(const google::protobuf::RepeatedPtrField<wire::ContainerRef>& in,
                            std::span<const PeerId> peers, std::vector<ContainerKey>* out);

void EncodeDocMessage(DocOps ops, InsertOrder order, wire::DocUpdate* msg);
std::string EncodeDocOps(DocOps ops);
// On error *out is unspecified. `list_doubles`: a List section whose values
// are all plain doubles gets them in SequenceSection::doubles.
Status DecodeDocMessage(const wire::DocUpdate& msg, DocOps* out, bool list_doubles = false);
Status DecodeDocOps(std::string_view bytes, DocOps* out);

}  // namespace tandem
