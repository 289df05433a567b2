// Update codec: UpdateOps <-> the wire::Update protobuf message.
//
// Encoding is canonical: operations are sorted by (peer, counter) and
// adjacent ones merged as far as they go, so the same set of operations
// always encodes to the same bytes. Decoding validates everything that does
// not depend on a replica's state (see docs/format.md): a message that
// decodes is safe to apply.
#pragma once

#include <string>
#include <string_view>

#include "status.h"
#include "update_ops.h"

namespace tandem::wire {
class Update;
}  // namespace tandem::wire

namespace tandem {

// Sorts and merges `ops` in place into canonical form.
void Canonicalize(UpdateOps* ops);
// Canonical bytes of `ops`.
std::string EncodeUpdateOps(UpdateOps ops);
// Fills `msg` with the canonical form of `ops`.
void EncodeUpdateMessage(UpdateOps ops, wire::Update* msg);
// Decodes and validates. On error *out is unspecified.
Status DecodeUpdateOps(std::string_view bytes, UpdateOps* out);
Status DecodeUpdateMessage(const wire::Update& msg, UpdateOps* out);

}  // namespace tandem
