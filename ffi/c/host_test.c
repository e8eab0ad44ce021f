/*
 * A C host embedding libsio09: the core handlers of the test app (TEST-APP.md) over the
 * C ABI, with its own poll(2) loop on the event fd. Driven by driver.js (real
 * socket.io clients); run under Valgrind by run.sh.
 *
 * Usage: host_test            (listens on 127.0.0.1, port from $PORT or a free one)
 * Prints "READY <port>" when listening; stops on SIGTERM/SIGINT and exits 0 after
 * SIO_EV_STOPPED and sio_server_free.
 */
#define _POSIX_C_SOURCE 200809L
#include "sio09.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_requested = 0;
/* Set once sio_server_stop returned: the remaining events are drained, not handled. */
static int stopping = 0;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static sio_server *srv;
static const char *nsp_names[8];
static uint32_t nsp_count;

static void check(sio_result r, const char *what) {
  if (r != SIO_OK) {
    char msg[256];
    size_t n = 0;
    msg[0] = 0;
    sio_last_error_message(srv, msg, sizeof msg, &n);
    fprintf(stderr, "host_test: %s failed: %s (%s)\n", what, sio_result_str(r), msg);
    exit(1);
  }
}

/* ---- a growable string ---- */
typedef struct { char *p; size_t len, cap; } buf;
static void b_put(buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = (b->cap ? b->cap * 2 : 64);
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) { perror("realloc"); exit(1); }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}
static void b_str(buf *b, const char *s) { b_put(b, s, strlen(s)); }
/* Append s (n bytes) as a JSON string literal. */
static void b_json_string(buf *b, const char *s, size_t n) {
  size_t i;
  b_put(b, "\"", 1);
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; b_put(b, esc, 2); }
    else if (c < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", c); b_put(b, esc, 6); }
    else b_put(b, (const char *)&s[i], 1);
  }
  b_put(b, "\"", 1);
}
static void b_free(buf *b) { free(b->p); b->p = NULL; b->len = b->cap = 0; }

/* ---- the top-level elements of a JSON array (spans into the text) ---- */
typedef struct { const char *p; size_t n; } span;
static size_t json_args(const char *s, size_t len, span *out, size_t max) {
  size_t i = 0, count = 0;
  while (i < len && s[i] != '[') i++;
  i++;
  while (i < len) {
    size_t start, depth = 0;
    int in_str = 0;
    while (i < len && (s[i] == ' ' || s[i] == ',' || s[i] == '\n' || s[i] == '\t')) i++;
    if (i >= len || s[i] == ']') break;
    start = i;
    for (; i < len; i++) {
      char c = s[i];
      if (in_str) {
        if (c == '\\') i++;
        else if (c == '"') in_str = 0;
        continue;
      }
      if (c == '"') in_str = 1;
      else if (c == '[' || c == '{') depth++;
      else if (c == ']' || c == '}') { if (depth == 0) break; depth--; }
      else if (c == ',' && depth == 0) break;
    }
    if (count < max) { out[count].p = s + start; out[count].n = i - start; }
    count++;
  }
  return count;
}
/* A string argument as a C string (no unescaping beyond quotes; enough for room names
 * and keys); other JSON values keep their text. Caller frees. */
static char *arg_text(span a) {
  char *r;
  if (a.n >= 2 && a.p[0] == '"') { a.p++; a.n -= 2; }
  r = malloc(a.n + 1);
  if (!r) { perror("malloc"); exit(1); }
  memcpy(r, a.p, a.n);
  r[a.n] = 0;
  return r;
}

/* ---- pending operations keyed by token (store results, server acks) ---- */
typedef struct { uint64_t token, socket, ack_id; int used; } pending;
static pending pend[1024];
static uint64_t next_token = 1;
static uint64_t remember(uint64_t socket, uint64_t ack_id) {
  size_t i;
  for (i = 0; i < sizeof pend / sizeof pend[0]; i++) {
    if (!pend[i].used) {
      pend[i].used = 1;
      pend[i].token = next_token++;
      pend[i].socket = socket;
      pend[i].ack_id = ack_id;
      return pend[i].token;
    }
  }
  fprintf(stderr, "host_test: too many pending operations\n");
  exit(1);
}
static int take(uint64_t token, pending *out) {
  size_t i;
  for (i = 0; i < sizeof pend / sizeof pend[0]; i++) {
    if (pend[i].used && pend[i].token == token) { *out = pend[i]; pend[i].used = 0; return 1; }
  }
  return 0;
}

/* Emit to a room of the namespace (except one socket, 0 = nobody). */
static void room_emit(uint32_t nsp, const char *room, uint64_t except, const char *name, const buf *args) {
  check(sio_broadcast(srv, nsp, room, except ? &except : NULL, except ? 1 : 0, SIO_PK_EVENT,
                      name, strlen(name), args->p, args->len, 0), "sio_broadcast");
}

static void sid_nsp_args(buf *b, const sio_event *ev) {
  const char *nsp = nsp_names[ev->nsp];
  b_str(b, "[");
  b_json_string(b, ev->sid, ev->sid_len);
  b_str(b, ",");
  b_json_string(b, nsp, strlen(nsp));
}

static int name_is(const sio_event *ev, const char *name) {
  return ev->name_len == strlen(name) && memcmp(ev->name, name, ev->name_len) == 0;
}

/* A command on a socket may race with its disconnect: NOT_FOUND is fine. */
static void cmd(sio_result r, const char *what) {
  if (r != SIO_E_NOT_FOUND) check(r, what);
}

static void on_event(const sio_event *ev) {
  span a[4];
  size_t n = json_args((const char *)ev->data, ev->data_len, a, 4);
  const char *data = (const char *)ev->data;
  buf b = {0};
  if (name_is(ev, "echo")) {
    if (ev->id) cmd(sio_ack(srv, ev->socket, ev->id, data, ev->data_len), "sio_ack");
    else cmd(sio_emit(srv, ev->socket, "echo", 4, data, ev->data_len, 0), "sio_emit");
  } else if (name_is(ev, "whoami")) {
    sid_nsp_args(&b, ev);
    b_str(&b, "]");
    if (ev->id) cmd(sio_ack(srv, ev->socket, ev->id, b.p, b.len), "sio_ack");
  } else if (name_is(ev, "join") || name_is(ev, "leave") || name_is(ev, "watch")) {
    int watch = name_is(ev, "watch");
    char *room = watch ? NULL : (n > 0 ? arg_text(a[0]) : arg_text((span){"", 0}));
    const char *r = watch ? "monitor" : room;
    if (name_is(ev, "leave")) cmd(sio_leave(srv, ev->socket, r), "sio_leave");
    else cmd(sio_join(srv, ev->socket, r), "sio_join");
    if (ev->id) {
      if (watch) b_str(&b, "[true]");
      else { b_str(&b, "["); b_json_string(&b, r, strlen(r)); b_str(&b, "]"); }
      cmd(sio_ack(srv, ev->socket, ev->id, b.p, b.len), "sio_ack");
    }
    free(room);
  } else if (name_is(ev, "to-room") && n >= 2) {
    char *room = arg_text(a[0]);
    b_str(&b, "[");
    b_json_string(&b, room, strlen(room));
    b_str(&b, ",");
    b_put(&b, a[1].p, a[1].n);
    b_str(&b, "]");
    room_emit(ev->nsp, room, 0, "room", &b);
    free(room);
  } else if (name_is(ev, "emit-all") || name_is(ev, "broadcast")) {
    int all = name_is(ev, "emit-all");
    b_str(&b, "[");
    if (n > 0) b_put(&b, a[0].p, a[0].n); else b_str(&b, "null");
    b_str(&b, "]");
    room_emit(ev->nsp, NULL, all ? 0 : ev->socket, all ? "all" : "broadcast", &b);
  } else if (name_is(ev, "set") && n >= 1) {
    char *key = arg_text(a[0]);
    uint64_t t = remember(ev->socket, ev->id);
    if (n >= 2) cmd(sio_client_set(srv, ev->socket, key, a[1].p, a[1].n, t), "sio_client_set");
    else cmd(sio_client_set(srv, ev->socket, key, "null", 4, t), "sio_client_set");
    free(key);
  } else if (name_is(ev, "get") && n >= 1) {
    char *key = arg_text(a[0]);
    cmd(sio_client_get(srv, ev->socket, key, remember(ev->socket, ev->id)), "sio_client_get");
    free(key);
  } else if (name_is(ev, "disconnect-me")) {
    cmd(sio_disconnect(srv, ev->socket), "sio_disconnect");
  } else if (name_is(ev, "server-ack") || name_is(ev, "server-ack-plain")) {
    b_str(&b, "[");
    if (n > 0) b_put(&b, a[0].p, a[0].n); else b_str(&b, "null");
    b_str(&b, "]");
    cmd(sio_emit_with_ack(srv, ev->socket, "ask", 3, b.p, b.len, remember(ev->socket, 0)),
        "sio_emit_with_ack");
  } else if (name_is(ev, "handshake-query")) {
    /* not part of this host's subset */
  }
  b_free(&b);
}

static void handle(const sio_event *ev) {
  buf b = {0};
  pending p;
  switch (ev->kind) {
  case SIO_EV_CONNECTION:
    sid_nsp_args(&b, ev);
    b_str(&b, "]");
    room_emit(ev->nsp, "monitor", 0, "arrived", &b);
    break;
  case SIO_EV_DISCONNECT:
    sid_nsp_args(&b, ev);
    b_str(&b, ",");
    b_json_string(&b, ev->name, ev->name_len);
    b_str(&b, "]");
    room_emit(ev->nsp, "monitor", 0, "gone", &b);
    break;
  case SIO_EV_EVENT:
    on_event(ev);
    break;
  case SIO_EV_MESSAGE:
  case SIO_EV_JSON:
    if (ev->id) {
      b_str(&b, "[");
      if (ev->kind == SIO_EV_MESSAGE) b_json_string(&b, (const char *)ev->data, ev->data_len);
      else b_put(&b, (const char *)ev->data, ev->data_len);
      b_str(&b, "]");
      cmd(sio_ack(srv, ev->socket, ev->id, b.p, b.len), "sio_ack");
    } else if (ev->kind == SIO_EV_MESSAGE) {
      cmd(sio_send(srv, ev->socket, (const char *)ev->data, ev->data_len, 0), "sio_send");
    } else {
      cmd(sio_json(srv, ev->socket, (const char *)ev->data, ev->data_len, 0), "sio_json");
    }
    break;
  case SIO_EV_AUTHORIZE: {
    /* The handshake data's query is an object of strings: look for the flags. */
    const char *d = (const char *)ev->data;
    buf q = {0};
    b_put(&q, d, ev->data_len);
    if (ev->nsp == SIO_NSP_GLOBAL) {
      if (strstr(q.p, "\"autherr\":\"1\""))
        check(sio_authorize_reply(srv, ev->id, 0, "authorization failure", NULL), "reply");
      else
        check(sio_authorize_reply(srv, ev->id, strstr(q.p, "\"deny\":\"1\"") == NULL, NULL, NULL),
              "reply");
    } else {
      /* /private always refuses; every other namespace admits. */
      int allow = strcmp(nsp_names[ev->nsp], "/private") != 0;
      check(sio_authorize_reply(srv, ev->id, allow, NULL, NULL), "reply");
    }
    b_free(&q);
    break;
  }
  case SIO_EV_STORE:
    if (take(ev->id, &p) && p.ack_id) {
      b_str(&b, "[");
      b_put(&b, (const char *)ev->data, ev->data_len);
      b_str(&b, "]");
      cmd(sio_ack(srv, p.socket, p.ack_id, b.p, b.len), "sio_ack");
    }
    break;
  case SIO_EV_ACK:
    if (take(ev->id, &p)) {
      b_str(&b, "[");
      b_put(&b, (const char *)ev->data, ev->data_len);
      b_str(&b, "]");
      cmd(sio_emit(srv, ev->socket, "got-ack", 7, b.p, b.len, 0), "sio_emit");
    }
    break;
  case SIO_EV_ERROR:
    fprintf(stderr, "host_test: library error: %.*s\n", (int)ev->name_len, ev->name);
    break;
  default:
    break;
  }
  b_free(&b);
}

/* Drain everything queued; returns 1 once SIO_EV_STOPPED was seen. */
static int drain(void) {
  sio_event evs[32];
  size_t n, i;
  int stopped = 0;
  do {
    check(sio_server_poll_events(srv, evs, 32, &n), "sio_server_poll_events");
    for (i = 0; i < n; i++) {
      if (evs[i].kind == SIO_EV_STOPPED) stopped = 1;
      else if (!stopped && !stopping) handle(&evs[i]);
    }
  } while (n == 32);
  return stopped;
}

int main(void) {
  static const char *names[] = {"", "/chat", "/private"};
  const char *driver = getenv("SIO_IO_DRIVER");
  const char *port_env = getenv("PORT");
  char addr[64];
  uint16_t port = 0;
  uint32_t i, id;
  int fd;
  struct sigaction sa;

  if ((sio_abi_version() >> 16) != SIO_ABI_MAJOR) {
    fprintf(stderr, "host_test: ABI mismatch\n");
    return 1;
  }
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  check(sio_server_new(&srv), "sio_server_new");
  check(sio_set(srv, "log level", getenv("SIO_LOG_LEVEL") ? getenv("SIO_LOG_LEVEL") : "1"), "log level");
  if (driver) check(sio_set(srv, "io driver", driver), "io driver");
  check(sio_set(srv, "workers", "2"), "workers");
  for (i = 0; i < 3; i++) {
    check(sio_of(srv, names[i], &id), "sio_of");
    nsp_names[id] = names[i];
    nsp_count = id + 1;
  }
  check(sio_authorization(srv, SIO_NSP_GLOBAL), "sio_authorization(global)");
  check(sio_authorization(srv, 2), "sio_authorization(/private)");
  snprintf(addr, sizeof addr, "127.0.0.1:%s", port_env ? port_env : "0");
  check(sio_server_listen(srv, addr), "sio_server_listen");
  check(sio_server_local_port(srv, &port), "sio_server_local_port");
  {
    /* Changes after start (issue 12): live options, the hand-back switch, session sets. */
    const char *host_paths[1] = {"/socket.io/host.js"};
    char json[64];
    size_t n = 0;
    check(sio_set(srv, "close timeout", "60"), "sio_set after start");
    if (sio_set(srv, "workers", "3") != SIO_E_STATE) {
      fprintf(stderr, "host_test: `workers` after start was not refused\n");
      return 1;
    }
    check(sio_server_set_handback(srv, 1, host_paths, 1), "sio_server_set_handback(on)");
    check(sio_server_set_handback(srv, 0, NULL, 0), "sio_server_set_handback(off)");
    check(sio_sessions(srv, SIO_SESSIONS_HANDSHAKEN, json, sizeof json, &n), "sio_sessions");
    if (strcmp(json, "[]") != 0 || n != 2) {
      fprintf(stderr, "host_test: sessions before any client: %s\n", json);
      return 1;
    }
  }
  check(sio_server_event_fd(srv, &fd), "sio_server_event_fd");
  printf("READY %u\n", (unsigned)port);
  fflush(stdout);

  while (!stop_requested) {
    struct pollfd p;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, 200) > 0) drain();
  }
  check(sio_server_stop(srv, 500), "sio_server_stop");
  stopping = 1;
  while (!drain()) {
  }
  check(sio_server_free(srv), "sio_server_free");
  fprintf(stderr, "host_test: stopped cleanly\n");
  return 0;
}
