// auth: how the host decides what a peer may do.
//
// The server asks the hook once per connection at Hello (doc empty: may this
// token connect at all? anything but kNone accepts) and once per Subscribe
// (may this token read/write this document?). The host may change its mind
// later: ServerCore::Reauthorize() asks again for every live subscription
// and applies downgrades at once (runtime revoke).
//
// Threading: the hook runs on the server's network thread, synchronously;
// it must be quick and must not call back into the server.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace tandem::net {

enum class Permission : int { kNone = 0, kRead = 1, kWrite = 2 };

const char* PermissionName(Permission p);

using AuthHook = std::function<Permission(std::string_view token, std::string_view doc)>;

}  // namespace tandem::net
