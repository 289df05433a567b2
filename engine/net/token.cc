#include "net/token.h"

#include <fnmatch.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

namespace tandem::net {

namespace {

const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64Url(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kB64[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kB64[(acc << (6 - bits)) & 63];
  return out;
}

bool FromBase64Url(std::string_view in, std::string* out) {
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = c == 0 ? nullptr : std::strchr(kB64, c);
    if (p == nullptr) return false;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

std::string Sign(std::string_view secret, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

}  // namespace

Status MintToken(std::string_view secret, const TokenClaims& claims, std::string* token) {
  if (secret.empty()) return Status::InvalidArgument("empty secret");
  if (claims.doc_pattern.empty() || claims.doc_pattern.find('\n') != std::string::npos) {
    return Status::InvalidArgument("bad document pattern");
  }
  if (claims.permission == Permission::kNone) return Status::InvalidArgument("permission none");
  std::string body = claims.doc_pattern + "\n" + PermissionName(claims.permission) + "\n" +
                     std::to_string(claims.expires_unix);
  std::string head = "v1." + Base64Url(body);
  *token = head + "." + Base64Url(Sign(secret, head));
  return Status::Ok();
}

Status VerifyToken(std::string_view secret, std::string_view token, int64_t now_unix,
                   TokenClaims* claims) {
  if (token.size() > 4096) return Status::InvalidArgument("token too long");
  if (token.substr(0, 3) != "v1.") return Status::InvalidArgument("unknown token version");
  size_t dot = token.rfind('.');
  if (dot <= 3) return Status::InvalidArgument("malformed token");
  std::string_view head = token.substr(0, dot);
  std::string sig;
  if (!FromBase64Url(token.substr(dot + 1), &sig)) return Status::InvalidArgument("malformed signature");
  std::string want = Sign(secret, head);
  if (sig.size() != want.size() || CRYPTO_memcmp(sig.data(), want.data(), sig.size()) != 0) {
    return Status::InvalidArgument("bad signature");
  }
  std::string body;
  if (!FromBase64Url(head.substr(3), &body)) return Status::InvalidArgument("malformed claims");
  size_t a = body.find('\n');
  size_t b = a == std::string::npos ? a : body.find('\n', a + 1);
  if (b == std::string::npos) return Status::InvalidArgument("malformed claims");
  TokenClaims c;
  c.doc_pattern = body.substr(0, a);
  std::string perm = body.substr(a + 1, b - a - 1);
  if (perm == "read") {
    c.permission = Permission::kRead;
  } else if (perm == "write") {
    c.permission = Permission::kWrite;
  } else {
    return Status::InvalidArgument("bad permission in token");
  }
  char* end = nullptr;
  std::string exp = body.substr(b + 1);
  c.expires_unix = std::strtoll(exp.c_str(), &end, 10);
  if (exp.empty() || *end != 0) return Status::InvalidArgument("bad expiry in token");
  if (now_unix >= c.expires_unix) return Status::InvalidArgument("token expired");
  *claims = std::move(c);
  return Status::Ok();
}

TokenAuth::TokenAuth(std::string secret, std::function<int64_t()> now_unix)
    : secret_(std::move(secret)), now_(std::move(now_unix)) {
  if (!now_) {
    now_ = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
    };
  }
}

AuthHook TokenAuth::Hook() {
  return [this](std::string_view token, std::string_view doc) { return Check(token, doc); };
}

Permission TokenAuth::Check(std::string_view token, std::string_view doc) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (revoked_.count(std::string(token)) != 0) return Permission::kNone;
  }
  TokenClaims c;
  if (!VerifyToken(secret_, token, now_(), &c).ok()) return Permission::kNone;
  if (doc.empty()) return c.permission;  // may connect at all
  std::string name(doc);
  return fnmatch(c.doc_pattern.c_str(), name.c_str(), 0) == 0 ? c.permission : Permission::kNone;
}

void TokenAuth::Revoke(std::string token) {
  std::lock_guard<std::mutex> lk(mu_);
  revoked_.insert(std::move(token));
}

void TokenAuth::ReplaceRevoked(std::set<std::string> tokens) {
  std::lock_guard<std::mutex> lk(mu_);
  revoked_ = std::move(tokens);
}

}  // namespace tandem::net
