// The C ABI of the network layer, its shared part: the guard against
// blocking calls from network-thread callbacks, document-name checks and the
// process-wide log level. Servers are in capi_server.cc, clients in
// capi_client.cc.
#include <string>

#include <libwebsockets.h>

#include "capi/capi_internal.h"
#include "capi/capi_net_internal.h"

namespace tandem::capi {

thread_local int g_network_callback_depth = 0;

tandem_status NotFromCallback(const char* fn, tandem_error* err) {
  if (g_network_callback_depth == 0) return TANDEM_OK;
  return Fail(err, TANDEM_E_BUSY,
              std::string(fn) +
                  " called from a callback on a Tandem network thread (auth or "
                  "wake callback): post the work to another thread");
}

tandem_status CheckName(const char* name, tandem_error* err) {
  if (tandem_status st = CheckUtf8(name, "name", err)) return st;
  if (name[0] == '\0') return Fail(err, TANDEM_E_INVALID_ARG, "document name is empty");
  return TANDEM_OK;
}

}  // namespace tandem::capi

using namespace tandem::capi;

extern "C" {

tandem_status tandem_set_network_log_level(int32_t level, tandem_error* err) {
  int lws_level = 0;
  switch (level) {
    case TANDEM_LOG_NONE: break;
    case TANDEM_LOG_ERROR: lws_level = LLL_ERR; break;
    case TANDEM_LOG_WARN: lws_level = LLL_ERR | LLL_WARN; break;
    case TANDEM_LOG_NOTICE: lws_level = LLL_ERR | LLL_WARN | LLL_NOTICE; break;
    default: return Fail(err, TANDEM_E_INVALID_ARG, "unknown log level (use TANDEM_LOG_*)");
  }
  lws_set_log_level(lws_level, nullptr);
  return TANDEM_OK;
}

}  // extern "C"
