// What the network parts of the C ABI share (capi_net.cc, capi_server.cc,
// capi_client.cc).
#pragma once

#include "capi/capi_internal.h"

namespace tandem::capi {

// Depth of Tandem callbacks running on a network thread (auth, wake) on this
// thread: blocking calls made from there would wait for the very thread that
// runs them.
extern thread_local int g_network_callback_depth;

struct NetworkCallbackScope {
  NetworkCallbackScope() { ++g_network_callback_depth; }
  ~NetworkCallbackScope() { --g_network_callback_depth; }
};

// BUSY when called from a network-thread callback (fn names the caller).
tandem_status NotFromCallback(const char* fn, tandem_error* err);
// A non-empty UTF-8 document name.
tandem_status CheckName(const char* name, tandem_error* err);

}  // namespace tandem::capi
