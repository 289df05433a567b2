// ws:// URLs as the client and the load generator take them.
#pragma once

#include <string>

namespace tandem::net {

// "ws://host[:port][/path]" -> host, port (80 when absent), path ("/" when
// absent). False for any other scheme, an empty host or a bad port.
bool ParseWsUrl(const std::string& url, std::string* host, int* port, std::string* path);

}  // namespace tandem::net
