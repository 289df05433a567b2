// token: tandemd's signed access tokens (HMAC-SHA256, OpenSSL).
//
//   v1.<base64url(claims)>.<base64url(HMAC-SHA256(secret, "v1." + base64url(claims)))>
//
// claims = "<doc pattern>\n<read|write>\n<expiry, unix seconds>". The
// pattern is an fnmatch(3) glob over document names ("*" = every document,
// "team/*" = a folder). docs/protocol.md ("Tokens") describes the scheme.
//
// TokenAuth turns a secret into the server's AuthHook and keeps a set of
// revoked tokens (revoke at runtime, then LwsServer::Reauthorize).
//
// Threading: the functions are pure; TokenAuth is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "core/status.h"
#include "net/auth.h"

namespace tandem::net {

struct TokenClaims {
  std::string doc_pattern;
  Permission permission = Permission::kRead;
  int64_t expires_unix = 0;
};

// Errors: kInvalidArgument for an empty secret, a pattern containing a
// newline, or a permission of kNone.
Status MintToken(std::string_view secret, const TokenClaims& claims, std::string* token);
// Checks the signature (constant time), the format and the expiry against
// `now_unix`. Errors: kInvalidArgument naming what is wrong.
Status VerifyToken(std::string_view secret, std::string_view token, int64_t now_unix,
                   TokenClaims* claims);

class TokenAuth {
 public:
  // `now_unix` defaults to the system clock.
  explicit TokenAuth(std::string secret, std::function<int64_t()> now_unix = {});
  // A hook that holds this object: keep it alive while the server runs.
  AuthHook Hook();
  Permission Check(std::string_view token, std::string_view doc);
  // Revoked tokens are refused from now on (call Reauthorize to drop live
  // connections). Replace sets the whole list (e.g. re-read from a file).
  void Revoke(std::string token);
  void ReplaceRevoked(std::set<std::string> tokens);

 private:
  const std::string secret_;
  std::function<int64_t()> now_;
  std::mutex mu_;
  std::set<std::string> revoked_;
};

}  // namespace tandem::net
