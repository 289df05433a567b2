#include "net/protocol.h"

#include "core/utf8.h"

namespace tandem::net {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMalformed: return "malformed";
    case ErrorCode::kUnsupportedVersion: return "unsupported_version";
    case ErrorCode::kUnauthorized: return "unauthorized";
    case ErrorCode::kForbidden: return "forbidden";
    case ErrorCode::kInvalidUpdate: return "invalid_update";
    case ErrorCode::kLimit: return "limit";
    case ErrorCode::kRateLimited: return "rate_limited";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kPermissionChanged: return "permission_changed";
    case ErrorCode::kNotSubscribed: return "not_subscribed";
    case ErrorCode::kSlowConsumer: return "slow_consumer";
    case ErrorCode::kShuttingDown: return "shutting_down";
    case ErrorCode::kHandshake: return "handshake";
  }
  return "unknown";
}

void ToWire(const VersionVector& vv, wire::VersionVector* out) {
  out->Clear();
  for (const auto& e : vv.entries()) {
    out->add_peers(e.peer);
    out->add_next(e.next);
  }
}

Status FromWire(const wire::VersionVector& in, VersionVector* out) {
  if (in.peers_size() != in.next_size()) return Status::Corrupt("version vector: column lengths differ");
  if (static_cast<size_t>(in.peers_size()) > kMaxVersionEntries) {
    return Status::Corrupt("version vector: too many entries");
  }
  VersionVector vv;
  for (int i = 0; i < in.peers_size(); ++i) {
    if (i > 0 && in.peers(i) <= in.peers(i - 1)) {
      return Status::Corrupt("version vector: peers not strictly ascending");
    }
    if (in.next(i) == 0) return Status::Corrupt("version vector: zero entry");
    vv.set(in.peers(i), in.next(i));
  }
  *out = std::move(vv);
  return Status::Ok();
}

Status CheckDocName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("empty document name");
  if (name.size() > kMaxDocNameBytes) return Status::InvalidArgument("document name too long");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return Status::InvalidArgument("control character in document name");
  }
  utf8::Counts counts;
  if (!utf8::Validate(name, &counts)) return Status::InvalidArgument("document name is not valid UTF-8");
  return Status::Ok();
}

std::string Serialize(wire::Envelope& env) {
  env.set_protocol_version(kProtocolVersion);
  return env.SerializeAsString();
}

Status Parse(std::string_view bytes, wire::Envelope* out) {
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corrupt("frame is not a valid envelope");
  }
  if (out->body_case() == wire::Envelope::BODY_NOT_SET) {
    return Status::Corrupt("envelope has no known body");
  }
  return Status::Ok();
}

std::string MakeError(ErrorCode code, std::string message, std::string doc, uint64_t seq) {
  wire::Envelope env;
  auto* e = env.mutable_error();
  e->set_code(static_cast<uint32_t>(code));
  e->set_message(std::move(message));
  e->set_doc(std::move(doc));
  e->set_seq(seq);
  return Serialize(env);
}

}  // namespace tandem::net
