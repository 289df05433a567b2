#include "net/ws_url.h"

#include <cstdlib>

namespace tandem::net {

bool ParseWsUrl(const std::string& url, std::string* host, int* port, std::string* path) {
  const std::string scheme = "ws://";
  if (url.compare(0, scheme.size(), scheme) != 0) return false;
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  *path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) {
    *host = hostport;
    *port = 80;
  } else {
    *host = hostport.substr(0, colon);
    char* end = nullptr;
    long p = std::strtol(hostport.c_str() + colon + 1, &end, 10);
    if (*end != 0 || p <= 0 || p > 65535) return false;
    *port = static_cast<int>(p);
  }
  return !host->empty();
}

}  // namespace tandem::net
