/* The "Embedding from C" example of README.md: an echo server on 127.0.0.1:3000 with
 * its own poll loop (run.sh compiles it, so the README example keeps building). */
#include "sio09.h"
#include <poll.h>
#include <stdio.h>

int main(void) {
  sio_server *srv;
  sio_event evs[64];
  size_t n, i;
  int fd;
  if (sio_server_new(&srv) != SIO_OK) return 1;
  sio_set(srv, "transports", "websocket,xhr-polling");
  if (sio_server_listen(srv, "127.0.0.1:3000") != SIO_OK) return 1;
  sio_server_event_fd(srv, &fd);
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    poll(&p, 1, -1);
    sio_server_poll_events(srv, evs, 64, &n);
    for (i = 0; i < n; i++) {
      const sio_event *e = &evs[i];
      if (e->kind == SIO_EV_CONNECTION)
        sio_emit(srv, e->socket, "welcome", 7, "[\"hi\"]", 6, 0);
      else if (e->kind == SIO_EV_EVENT && e->id) /* the client asked for an ack */
        sio_ack(srv, e->socket, e->id, (const char *)e->data, e->data_len);
      else if (e->kind == SIO_EV_EVENT)
        sio_emit(srv, e->socket, e->name, e->name_len, (const char *)e->data, e->data_len, 0);
    }
  }
}
