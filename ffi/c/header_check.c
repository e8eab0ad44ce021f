/* Compile check of include/sio09.h: C99 with -Wall -Wextra -Werror, and as C++
 * (run.sh compiles this file both ways). Touches every type and a few functions so
 * the declarations are really parsed. */
#include "sio09.h"

int sio09_header_check(void);

int sio09_header_check(void) {
  sio_event ev;
  sio_event_cb cb = 0;
  sio_result r = SIO_OK;
  sio_server *srv = 0;
  ev.kind = SIO_EV_STOPPED;
  ev.nsp = SIO_NSP_GLOBAL;
  (void)cb;
  (void)srv;
  r = (sio_abi_version() >> 16) == SIO_ABI_MAJOR ? SIO_OK : SIO_E_INVALID_PARAM;
  return (int)r + (int)ev.kind + (sio_result_str(SIO_E_NOT_FOUND) != 0) + SIO_F_VOLATILE +
         SIO_PK_EVENT;
}
