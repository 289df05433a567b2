// protocol: constants and codecs of the sync protocol (docs/protocol.md).
//
// The messages themselves are generated from schema/tandem.proto
// (tandem::wire::Envelope and friends); this header holds the version, the
// error and close codes, and the checked conversions between wire messages
// and core types. Everything here is pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/version_vector.h"
#include "tandem.pb.h"

namespace tandem::net {

inline constexpr uint32_t kProtocolVersion = 2;

// Error.code values. Non-fatal errors concern one request; fatal ones are
// followed by a close with the matching close code.
enum class ErrorCode : uint32_t {
  kMalformed = 1,          // fatal: the frame is not a valid Envelope
  kUnsupportedVersion = 2, // fatal: protocol version not spoken here
  kUnauthorized = 3,       // fatal: the token was refused at Hello
  kForbidden = 4,          // no permission for this doc, or a write while read-only
  kInvalidUpdate = 5,      // fatal: update bytes the document refused
  kLimit = 6,              // a limit was reached (docs per connection, sizes)
  kRateLimited = 7,        // fatal: too many updates per second
  kUnavailable = 8,        // the document could not be loaded or stored
  kPermissionChanged = 9,  // the host changed this peer's permission (revoke)
  kNotSubscribed = 10,     // a request for a doc the peer has not subscribed
  kSlowConsumer = 11,      // fatal: outbound queue over its bound
  kShuttingDown = 12,      // fatal: the server is stopping
  kHandshake = 13,         // fatal: request before Hello, or Hello twice
};

// WebSocket close codes used by Tandem (RFC 6455 + 4000-4999 application).
enum CloseCode : uint16_t {
  kCloseNormal = 1000,
  kCloseGoingAway = 1001,      // server shutdown
  kClosePolicy = 1008,         // rate limit, unauthenticated byte limit
  kCloseTooBig = 1009,         // frame over the limit
  kCloseInternal = 1011,       // storage failure
  kCloseProtocol = 4000,       // malformed frame, handshake violation
  kCloseUnauthorized = 4001,   // token refused
  kCloseInvalidUpdate = 4002,  // update bytes refused
  kCloseRevoked = 4003,        // access revoked at runtime
  kCloseSlowConsumer = 4008,   // outbound queue over its bound
  kCloseVersion = 4010,        // unsupported protocol version
};

const char* ErrorCodeName(ErrorCode code);

// Largest version vector accepted from the wire (entries). A real document
// has few peers; the bound keeps a hostile vector from costing much.
inline constexpr size_t kMaxVersionEntries = 1 << 16;
// Longest document name.
inline constexpr size_t kMaxDocNameBytes = 512;

void ToWire(const VersionVector& vv, wire::VersionVector* out);
// Error (kCorrupt) on unsorted/duplicate peers, a zero `next`, mismatched
// column lengths or too many entries.
Status FromWire(const wire::VersionVector& in, VersionVector* out);

// Ok for a usable document name: 1..kMaxDocNameBytes bytes, valid UTF-8,
// no control characters.
Status CheckDocName(std::string_view name);

// Envelope helpers: set the protocol version, serialize.
std::string Serialize(wire::Envelope& env);
// Parses one frame. Error (kCorrupt) on undecodable bytes or an empty body.
Status Parse(std::string_view bytes, wire::Envelope* out);

std::string MakeError(ErrorCode code, std::string message, std::string doc = {},
                      uint64_t seq = 0);

}  // namespace tandem::net
