/* Compiled (not run) as C11 and as C++ with -Wall -Wextra -Werror -pedantic
 * by the capi_header_* tests: the public header must be clean in both. */
#include "tandem/tandem.h"

int tandem_header_check(void);
int tandem_header_check(void) {
  tandem_value v = tandem_value_string("x");
  tandem_error e = {TANDEM_OK, NULL};
  (void)e;
  return (int)v.len + (TANDEM_VERSION_NUMBER > 0);
}
