/*
 * sio09 N-API addon: a thin C layer over libsio09's C ABI (include/sio09.h, ffi/SPEC.md).
 *
 * - libsio09 is opened with dlopen() at run time (load(path)), and its ABI major version is
 *   checked against the header the addon was compiled with.
 * - Events reach JavaScript on the main thread: the server's event fd is watched with a
 *   uv_poll_t on Node's loop; when it is readable the addon drains the queue with
 *   sio_server_poll_events in batches and hands each batch to the JS callback as one flat
 *   array (7 slots per event: kind, nsp, socket, id, sid, name, data). Views are copied into
 *   JS strings before the next poll call, as the ABI requires.
 * - Socket ids and tokens are uint64 in the ABI; they reach JS as numbers when they fit in
 *   2^53 (always, for shard indexes below 32) and as BigInt otherwise; both are accepted back.
 * - Commands return the sio_result code as a number; lifecycle/config calls throw an Error
 *   with .code (the sio_result) and the library's last error message.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "sio09.h"

/* ------------------------------------------------------------------ library symbols */

#define SIO_FUNCS(X)                                                                       \
  X(sio_abi_version) X(sio_version) X(sio_result_str) X(sio_server_new)                    \
  X(sio_last_error_message) X(sio_set) X(sio_get) X(sio_of) X(sio_authorization)           \
  X(sio_server_listen) X(sio_server_local_port) X(sio_server_adopt_connection)             \
  X(sio_server_adopt_connection_with)                                                      \
  X(sio_server_stop) X(sio_server_free) X(sio_server_event_fd) X(sio_server_poll_events)   \
  X(sio_emit) X(sio_send) X(sio_json) X(sio_emit_with_ack) X(sio_ack) X(sio_broadcast)     \
  X(sio_join) X(sio_leave) X(sio_disconnect) X(sio_client_set) X(sio_client_get)           \
  X(sio_client_has) X(sio_client_del) X(sio_authorize_reply) X(sio_clients)                \
  X(sio_socket_lookup) X(sio_send_with_ack) X(sio_json_with_ack) X(sio_emit_to_sid)      \
  X(sio_authorization_off) X(sio_of_with_authorization) X(sio_server_set_handback)         \
  X(sio_sessions) X(sio_join_sid) X(sio_leave_sid) X(sio_rooms) X(sio_room_clients)            \
  X(sio_server_set_room_events) X(sio_disconnect_sid) X(sio_emit_to_sid_with_ack)                 \
  X(sio_client_op_sid)

#define DECLARE_PTR(name) static __typeof__(name) *p_##name;
SIO_FUNCS(DECLARE_PTR)
#undef DECLARE_PTR

static void *lib_handle;

/* ------------------------------------------------------------------ helpers */

#define EVENT_CAP 256
#define EVENT_SLOTS 7
#define MAX_ROUNDS 64 /* batches per wake-up before yielding to the loop */
#define MAX_SAFE 9007199254740992.0 /* 2^53 */

typedef struct host {
  sio_server *srv;
  napi_env env;
  uv_poll_t poll;
  bool poll_init;   /* uv_poll_init done (handle must be uv_close'd) */
  bool polling;     /* uv_poll_start active */
  bool closed;      /* close() called: no more calls into the library */
  bool freed;       /* sio_server_free done */
  bool finalized;   /* the JS external is gone */
  bool draining;    /* inside on_poll */
  napi_ref cb;
  napi_async_context actx;
  sio_event events[EVENT_CAP];
} host;

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static napi_value make_u64(napi_env env, uint64_t v) {
  napi_value out;
  if ((double)v < MAX_SAFE) napi_create_double(env, (double)v, &out);
  else napi_create_bigint_uint64(env, v, &out);
  return out;
}

static bool get_u64(napi_env env, napi_value v, uint64_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  if (t == napi_number) {
    double d;
    napi_get_value_double(env, v, &d);
    if (!(d >= 0) || d >= 18446744073709551616.0 || d != floor(d)) return false;
    *out = (uint64_t)d;
    return true;
  }
  if (t == napi_bigint) {
    bool lossless = false;
    if (napi_get_value_bigint_uint64(env, v, out, &lossless) != napi_ok) return false;
    return lossless;
  }
  return false;
}

static bool get_u32(napi_env env, napi_value v, uint32_t *out) {
  uint64_t x;
  if (!get_u64(env, v, &x) || x > 0xFFFFFFFFu) return false;
  *out = (uint32_t)x;
  return true;
}

static bool get_i32(napi_env env, napi_value v, int32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return false;
  return napi_get_value_int32(env, v, out) == napi_ok;
}

static bool is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return true;
  return t == napi_undefined || t == napi_null;
}

/* A UTF-8 copy of a JS string: small strings live in the inline buffer, larger ones on the heap. */
typedef struct {
  char *ptr;
  size_t len;
  bool heap;
  bool null; /* the JS value was null/undefined (only allowed where optional) */
  char inline_buf[512];
} str_arg;

static bool get_str(napi_env env, napi_value v, str_arg *s, bool optional) {
  s->ptr = s->inline_buf;
  s->len = 0;
  s->heap = false;
  s->null = false;
  s->inline_buf[0] = 0;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  if (t == napi_undefined || t == napi_null) {
    if (!optional) return false;
    s->null = true;
    s->ptr = NULL;
    return true;
  }
  if (t != napi_string) return false;
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return false;
  if (len + 1 > sizeof(s->inline_buf)) {
    s->ptr = malloc(len + 1);
    if (!s->ptr) return false;
    s->heap = true;
  }
  size_t got = 0;
  if (napi_get_value_string_utf8(env, v, s->ptr, len + 1, &got) != napi_ok) {
    if (s->heap) free(s->ptr);
    s->ptr = NULL;
    s->heap = false;
    return false;
  }
  s->len = got;
  return true;
}

static void free_str(str_arg *s) {
  if (s->heap) free(s->ptr);
  s->heap = false;
  s->ptr = NULL;
}

static napi_value num(napi_env env, double d) {
  napi_value out;
  napi_create_double(env, d, &out);
  return out;
}

/* Throws Error(`${what}: ${result_str}: ${last error}`) with .code = r. */
static napi_value throw_sio(napi_env env, host *h, const char *what, sio_result r) {
  char msg[1024];
  char last[700];
  last[0] = 0;
  if (h && h->srv && !h->freed && p_sio_last_error_message) {
    size_t n = 0;
    if (p_sio_last_error_message(h->srv, last, sizeof(last) - 1, &n) == SIO_OK) {
      if (n >= sizeof(last)) n = sizeof(last) - 1;
      last[n] = 0;
    } else {
      last[0] = 0;
    }
  }
  const char *rs = p_sio_result_str ? p_sio_result_str(r) : "error";
  if (last[0]) snprintf(msg, sizeof(msg), "%s: %s: %s", what, rs ? rs : "error", last);
  else snprintf(msg, sizeof(msg), "%s: %s", what, rs ? rs : "error");
  napi_value m, err, code;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &err);
  napi_create_uint32(env, r, &code);
  napi_set_named_property(env, err, "sioCode", code);
  napi_throw(env, err);
  return NULL;
}

#define ARGS(n)                                                                    \
  size_t argc = n;                                                                 \
  napi_value argv[n];                                                              \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL; \
  for (size_t i_ = argc; i_ < n; i_++) napi_get_undefined(env, &argv[i_]);

static bool need_lib(napi_env env) {
  if (!lib_handle) {
    napi_throw_error(env, NULL, "sio09: libsio09 is not loaded (call load(path) first)");
    return false;
  }
  return true;
}

/* argv[0] is the server external; fails (throws) when it is closed. */
static host *get_host(napi_env env, napi_value v) {
  host *h = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, v, (void **)&h) != napi_ok || !h) {
    throw_type(env, "sio09: expected a server handle");
    return NULL;
  }
  if (h->closed || h->freed || !h->srv) {
    napi_throw_error(env, NULL, "sio09: the server is closed");
    return NULL;
  }
  return h;
}

/* ------------------------------------------------------------------ load / versions */

static napi_value js_load(napi_env env, napi_callback_info info) {
  ARGS(1);
  if (lib_handle) return num(env, p_sio_abi_version());
  str_arg path;
  if (!get_str(env, argv[0], &path, false)) return throw_type(env, "load(path): path must be a string");
  void *hdl = dlopen(path.ptr, RTLD_NOW | RTLD_LOCAL);
  if (!hdl) {
    char msg[1024];
    snprintf(msg, sizeof(msg), "sio09: cannot load %s: %s", path.ptr, dlerror());
    free_str(&path);
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  free_str(&path);
#define LOAD_SYM(name)                                                                    \
  p_##name = (__typeof__(name) *)dlsym(hdl, #name);                                        \
  if (!p_##name) {                                                                         \
    dlclose(hdl);                                                                          \
    napi_throw_error(env, NULL, "sio09: libsio09 lacks the symbol " #name " (ABI mismatch)"); \
    return NULL;                                                                           \
  }
  SIO_FUNCS(LOAD_SYM)
#undef LOAD_SYM
  uint32_t abi = p_sio_abi_version();
  if ((abi >> 16) != SIO_ABI_MAJOR || (abi & 0xFFFF) < SIO_ABI_MINOR) {
    char msg[256];
    snprintf(msg, sizeof(msg),
             "sio09: libsio09 ABI %u.%u does not match the addon's header (%u.%u)",
             abi >> 16, abi & 0xFFFF, (unsigned)SIO_ABI_MAJOR, (unsigned)SIO_ABI_MINOR);
    dlclose(hdl);
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  lib_handle = hdl;
  return num(env, abi);
}

static napi_value js_version(napi_env env, napi_callback_info info) {
  (void)info;
  if (!need_lib(env)) return NULL;
  napi_value out;
  const char *v = p_sio_version();
  napi_create_string_utf8(env, v ? v : "", NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value js_result_str(napi_env env, napi_callback_info info) {
  ARGS(1);
  if (!need_lib(env)) return NULL;
  uint32_t code;
  if (!get_u32(env, argv[0], &code)) return throw_type(env, "resultStr(code)");
  napi_value out;
  const char *s = p_sio_result_str(code);
  napi_create_string_utf8(env, s ? s : "", NAPI_AUTO_LENGTH, &out);
  return out;
}

/* ------------------------------------------------------------------ server lifetime */

static void host_free_library(host *h) {
  if (h->srv && !h->freed) {
    p_sio_server_stop(h->srv, 0);
    /* drain what is left so the library can release its views (not required, harmless) */
    p_sio_server_free(h->srv);
    h->freed = true;
    h->srv = NULL;
  }
}

static void on_poll_closed(uv_handle_t *handle) {
  host *h = (host *)handle->data;
  host_free_library(h);
  h->poll_init = false;
  if (h->finalized) free(h);
}

/* Stop watching and free the library server (deferred until the poll handle is closed). */
static void host_close(host *h) {
  if (h->closed) return;
  h->closed = true;
  if (h->cb) {
    napi_delete_reference(h->env, h->cb);
    h->cb = NULL;
  }
  if (h->actx) {
    napi_async_destroy(h->env, h->actx);
    h->actx = NULL;
  }
  if (h->poll_init) {
    if (h->polling) uv_poll_stop(&h->poll);
    h->polling = false;
    uv_close((uv_handle_t *)&h->poll, on_poll_closed);
  } else {
    host_free_library(h);
  }
}

static void host_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  host *h = (host *)data;
  h->finalized = true;
  if (!h->closed) {
    /* the references are owned by this env; at finalization they must not be touched via
       napi calls that run JS, but deleting them is allowed */
    host_close(h);
  }
  if (!h->poll_init) free(h);
}

static napi_value js_create(napi_env env, napi_callback_info info) {
  (void)info;
  if (!need_lib(env)) return NULL;
  host *h = calloc(1, sizeof(host));
  if (!h) {
    napi_throw_error(env, NULL, "sio09: out of memory");
    return NULL;
  }
  h->env = env;
  sio_result r = p_sio_server_new(&h->srv);
  if (r != SIO_OK || !h->srv) {
    free(h);
    return throw_sio(env, NULL, "sio_server_new", r);
  }
  napi_value ext;
  if (napi_create_external(env, h, host_finalize, NULL, &ext) != napi_ok) {
    p_sio_server_free(h->srv);
    free(h);
    return NULL;
  }
  return ext;
}

static napi_value js_last_error(napi_env env, napi_callback_info info) {
  ARGS(1);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  char buf[2048];
  size_t n = 0;
  napi_value out;
  if (p_sio_last_error_message(h->srv, buf, sizeof(buf), &n) != SIO_OK) n = 0;
  if (n > sizeof(buf)) n = sizeof(buf);
  napi_create_string_utf8(env, buf, n, &out);
  return out;
}

/* ------------------------------------------------------------------ configuration */

static napi_value js_set(napi_env env, napi_callback_info info) {
  ARGS(3);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  str_arg k, v;
  if (!get_str(env, argv[1], &k, false)) return throw_type(env, "set(h, key, value): key must be a string");
  if (!get_str(env, argv[2], &v, false)) {
    free_str(&k);
    return throw_type(env, "set(h, key, value): value must be a string");
  }
  sio_result r = p_sio_set(h->srv, k.ptr, v.ptr);
  free_str(&k);
  free_str(&v);
  if (r != SIO_OK) return throw_sio(env, h, "sio_set", r);
  return num(env, 0);
}

static napi_value js_get(napi_env env, napi_callback_info info) {
  ARGS(2);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  str_arg k;
  if (!get_str(env, argv[1], &k, false)) return throw_type(env, "get(h, key): key must be a string");
  char small[1024];
  size_t n = 0;
  sio_result r = p_sio_get(h->srv, k.ptr, small, sizeof(small), &n);
  napi_value out;
  if (r == SIO_OK) {
    napi_create_string_utf8(env, small, n, &out);
  } else if (r == SIO_E_BUFFER_TOO_SMALL && n > 0) {
    char *big = malloc(n);
    if (!big) {
      free_str(&k);
      napi_throw_error(env, NULL, "sio09: out of memory");
      return NULL;
    }
    size_t n2 = 0;
    r = p_sio_get(h->srv, k.ptr, big, n, &n2);
    if (r == SIO_OK) napi_create_string_utf8(env, big, n2, &out);
    free(big);
  }
  free_str(&k);
  if (r != SIO_OK) return throw_sio(env, h, "sio_get", r);
  return out;
}

static napi_value js_of(napi_env env, napi_callback_info info) {
  ARGS(2);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  str_arg name;
  if (!get_str(env, argv[1], &name, false)) return throw_type(env, "of(h, name): name must be a string");
  uint32_t id = 0;
  sio_result r = p_sio_of(h->srv, name.ptr, &id);
  free_str(&name);
  if (r != SIO_OK) return throw_sio(env, h, "sio_of", r);
  return num(env, id);
}

static napi_value js_authorization(napi_env env, napi_callback_info info) {
  ARGS(2);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint32_t nsp;
  if (!get_u32(env, argv[1], &nsp)) return throw_type(env, "authorization(h, nsp)");
  sio_result r = p_sio_authorization(h->srv, nsp);
  if (r != SIO_OK) return throw_sio(env, h, "sio_authorization", r);
  return num(env, 0);
}

/* Calls `fill(h, ctx, buf, cap, &n)` with a buffer grown until the text fits (the library
   answers SIO_E_BUFFER_TOO_SMALL with the size needed; the text can grow between calls)
   and returns it as a JS string, or throws with `what`. */
typedef sio_result (*fill_fn)(host *h, void *ctx, char *buf, size_t cap, size_t *n);

static napi_value json_out(napi_env env, host *h, const char *what, fill_fn fill, void *ctx) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  sio_result r = buf ? fill(h, ctx, buf, cap, &n) : SIO_E_INVALID_PARAM;
  for (int tries = 0; r == SIO_E_BUFFER_TOO_SMALL && tries < 4; tries++) {
    cap = n + 1024;
    free(buf);
    buf = malloc(cap);
    if (!buf) break;
    r = fill(h, ctx, buf, cap, &n);
  }
  if (r != SIO_OK || !buf) {
    free(buf);
    return throw_sio(env, h, what, r);
  }
  napi_value out;
  napi_create_string_utf8(env, buf, n, &out);
  free(buf);
  return out;
}

typedef struct { uint32_t nsp; const char *room; } clients_args;

static sio_result fill_clients(host *h, void *ctx, char *buf, size_t cap, size_t *n) {
  clients_args *a = ctx;
  return p_sio_clients(h->srv, a->nsp, a->room, buf, cap, n);
}

static sio_result fill_sessions(host *h, void *ctx, char *buf, size_t cap, size_t *n) {
  return p_sio_sessions(h->srv, *(uint32_t *)ctx, buf, cap, n);
}

static sio_result fill_rooms(host *h, void *ctx, char *buf, size_t cap, size_t *n) {
  (void)ctx;
  return p_sio_rooms(h->srv, buf, cap, n);
}

static sio_result fill_room_clients(host *h, void *ctx, char *buf, size_t cap, size_t *n) {
  return p_sio_room_clients(h->srv, (const char *)ctx, buf, cap, n);
}

/* authorizationOff(h, nsp): host-answered authorization switched off again */
static napi_value js_authorization_off(napi_env env, napi_callback_info info) {
  ARGS(2);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint32_t nsp;
  if (!get_u32(env, argv[1], &nsp)) return throw_type(env, "authorizationOff(h, nsp)");
  sio_result r = p_sio_authorization_off(h->srv, nsp);
  if (r != SIO_OK) return throw_sio(env, h, "sio_authorization_off", r);
  return num(env, 0);
}

/* ofWithAuthorization(h, name) -> namespace id, declared with host-answered authorization */
static napi_value js_of_with_auth(napi_env env, napi_callback_info info) {
  ARGS(2);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  str_arg name;
  if (!get_str(env, argv[1], &name, false)) return throw_type(env, "ofWithAuthorization(h, name): name must be a string");
  uint32_t id = 0;
  sio_result r = p_sio_of_with_authorization(h->srv, name.ptr, &id);
  free_str(&name);
  if (r != SIO_OK) return throw_sio(env, h, "sio_of_with_authorization", r);
  return num(env, id);
}

/* setHandback(h, enabled, paths[]): later requests outside the resource (or for these
   paths) on handed-over connections come back as SIO_EV_HANDBACK */
static napi_value js_set_handback(napi_env env, napi_callback_info info) {
  ARGS(3);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  bool enabled = false;
  if (napi_get_value_bool(env, argv[1], &enabled) != napi_ok) return throw_type(env, "setHandback(h, enabled, paths)");
  uint32_t n = 0;
  bool is_arr = false;
  if (!is_nullish(env, argv[2])) {
    if (napi_is_array(env, argv[2], &is_arr) != napi_ok || !is_arr) return throw_type(env, "setHandback: paths must be an array");
    napi_get_array_length(env, argv[2], &n);
  }
  str_arg *strs = n ? calloc(n, sizeof(str_arg)) : NULL;
  const char **ptrs = n ? calloc(n, sizeof(char *)) : NULL;
  if (n && (!strs || !ptrs)) {
    free(strs);
    free((void *)ptrs);
    return throw_type(env, "setHandback: out of memory");
  }
  uint32_t got = 0;
  bool bad = false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    if (napi_get_element(env, argv[2], i, &el) != napi_ok || !get_str(env, el, &strs[i], false)) { bad = true; break; }
    ptrs[i] = strs[i].ptr;
    got++;
  }
  sio_result r = bad ? SIO_E_INVALID_PARAM : p_sio_server_set_handback(h->srv, enabled ? 1 : 0, ptrs, got);
  for (uint32_t i = 0; i < got; i++) free_str(&strs[i]);
  free(strs);
  free((void *)ptrs);
  if (bad) return throw_type(env, "setHandback: paths must be strings");
  if (r != SIO_OK) return throw_sio(env, h, "sio_server_set_handback", r);
  return num(env, 0);
}

/* sessions(h, which) -> JSON text (array of ids, or {id: data} with SIO_SESSIONS_WITH_DATA) */
static napi_value js_sessions(napi_env env, napi_callback_info info) {
  ARGS(2);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint32_t which;
  if (!get_u32(env, argv[1], &which)) return throw_type(env, "sessions(h, which)");
  return json_out(env, h, "sio_sessions", fill_sessions, &which);
}

/* rooms(h) -> JSON text {room key: [ids]}, cluster-wide (0.9's io.rooms) */
static napi_value js_rooms(napi_env env, napi_callback_info info) {
  ARGS(1);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  return json_out(env, h, "sio_rooms", fill_rooms, NULL);
}

/* roomClients(h, sid) -> JSON text {room key: true}, cluster-wide (0.9's io.roomClients[id]) */
static napi_value js_room_clients(napi_env env, napi_callback_info info) {
  ARGS(2);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  str_arg sid;
  if (!get_str(env, argv[1], &sid, false)) return throw_type(env, "roomClients(h, sid)");
  napi_value out = json_out(env, h, "sio_room_clients", fill_room_clients, (void *)sid.ptr);
  free_str(&sid);
  return out;
}

/* setRoomEvents(h, enabled): SIO_EV_ROOM events for the membership changes of the cluster */
static napi_value js_set_room_events(napi_env env, napi_callback_info info) {
  ARGS(2);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  bool enabled = false;
  if (napi_get_value_bool(env, argv[1], &enabled) != napi_ok) return throw_type(env, "setRoomEvents(h, enabled)");
  sio_result r = p_sio_server_set_room_events(h->srv, enabled ? 1 : 0);
  if (r != SIO_OK) return throw_sio(env, h, "sio_server_set_room_events", r);
  return num(env, 0);
}

static napi_value js_listen(napi_env env, napi_callback_info info) {
  ARGS(2);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  str_arg addr;
  if (!get_str(env, argv[1], &addr, true)) return throw_type(env, "listen(h, addr|null)");
  sio_result r = p_sio_server_listen(h->srv, addr.ptr);
  free_str(&addr);
  if (r != SIO_OK) return throw_sio(env, h, "sio_server_listen", r);
  return num(env, 0);
}

static napi_value js_local_port(napi_env env, napi_callback_info info) {
  ARGS(1);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint16_t port = 0;
  sio_result r = p_sio_server_local_port(h->srv, &port);
  if (r != SIO_OK) return throw_sio(env, h, "sio_server_local_port", r);
  return num(env, port);
}

/* adopt(h, fd, bytes[, flags, peer]): dup(fd) and hand the duplicate to the library, which
   owns it from then on (closes it on error). The caller closes its own fd. flags
   (SIO_ADOPT_TLS, SIO_ADOPT_SECURE) and peer ("ip:port" or null) go to
   sio_server_adopt_connection_with. Returns the sio_result, or SIO_E_SYS_BASE|errno when
   dup fails. */
static napi_value js_adopt(napi_env env, napi_callback_info info) {
  ARGS(5);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  int32_t fd;
  if (!get_i32(env, argv[1], &fd) || fd < 0) return throw_type(env, "adopt(h, fd, bytes): fd must be a file descriptor");
  void *data = NULL;
  size_t len = 0;
  bool isbuf = false;
  if (!is_nullish(env, argv[2])) {
    if (napi_is_buffer(env, argv[2], &isbuf) != napi_ok || !isbuf ||
        napi_get_buffer_info(env, argv[2], &data, &len) != napi_ok)
      return throw_type(env, "adopt(h, fd, bytes): bytes must be a Buffer");
  }
  uint32_t flags = 0;
  if (!is_nullish(env, argv[3]) && !get_u32(env, argv[3], &flags))
    return throw_type(env, "adopt(h, fd, bytes, flags, peer): flags must be a number");
  str_arg peer;
  if (!get_str(env, argv[4], &peer, true))
    return throw_type(env, "adopt(h, fd, bytes, flags, peer): peer must be a string or null");
  int dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  sio_result r;
  if (dupfd < 0) {
    r = 0x10000u | (unsigned)errno;
  } else if (flags == 0 && peer.null) {
    r = p_sio_server_adopt_connection(h->srv, dupfd, (const uint8_t *)data, len);
  } else {
    r = p_sio_server_adopt_connection_with(h->srv, dupfd, (const uint8_t *)data, len, flags, peer.ptr);
  }
  free_str(&peer);
  return num(env, r);
}

/* ------------------------------------------------------------------ events */

static void report_exception(napi_env env) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value exc;
    if (napi_get_and_clear_last_exception(env, &exc) == napi_ok) napi_fatal_exception(env, exc);
  }
}

static napi_value str_or_empty(napi_env env, const char *p, size_t n) {
  napi_value v;
  if (!p || n == 0) napi_create_string_utf8(env, "", 0, &v);
  else if (napi_create_string_utf8(env, p, n, &v) != napi_ok) napi_create_string_utf8(env, "", 0, &v);
  return v;
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  (void)events;
  host *h = (host *)handle->data;
  if (h->closed || h->draining) return;
  napi_env env = h->env;
  if (status < 0) return;
  h->draining = true;
  for (int round = 0; round < MAX_ROUNDS && !h->closed; round++) {
    size_t n = 0;
    sio_result r = p_sio_server_poll_events(h->srv, h->events, EVENT_CAP, &n);
    if (r != SIO_OK || n == 0) break;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) break;
    napi_value arr, empty;
    napi_create_array_with_length(env, n * EVENT_SLOTS, &arr);
    napi_create_string_utf8(env, "", 0, &empty);
    for (size_t i = 0; i < n; i++) {
      const sio_event *e = &h->events[i];
      uint32_t base = (uint32_t)(i * EVENT_SLOTS);
      napi_set_element(env, arr, base + 0, num(env, e->kind));
      napi_set_element(env, arr, base + 1, num(env, e->nsp));
      napi_set_element(env, arr, base + 2, make_u64(env, e->socket));
      napi_set_element(env, arr, base + 3, make_u64(env, e->id));
      /* the session id matters only where the host has no socket object yet (or logs);
         event/message/ack/store traffic skips the string */
      bool want_sid = e->kind == SIO_EV_CONNECTION || e->kind == SIO_EV_DISCONNECT ||
                      e->kind == SIO_EV_AUTHORIZE || e->kind == SIO_EV_ERROR ||
                      e->kind == SIO_EV_ROOM;
      /* HANDBACK: id = the descriptor the host now owns, name = the peer address */
      bool want_name = !(e->kind == SIO_EV_MESSAGE || e->kind == SIO_EV_JSON || e->kind == SIO_EV_ACK);
      napi_set_element(env, arr, base + 4, want_sid ? str_or_empty(env, e->sid, e->sid_len) : empty);
      napi_set_element(env, arr, base + 5, want_name ? str_or_empty(env, e->name, e->name_len) : empty);
      if (e->kind == SIO_EV_HANDBACK) {
        /* the connection's unconsumed bytes are raw HTTP (latin1, maybe binary): a Buffer */
        napi_value b;
        void *copy = NULL;
        if (napi_create_buffer_copy(env, e->data_len, e->data_len ? (const void *)e->data : "", &copy, &b) != napi_ok)
          napi_get_null(env, &b);
        napi_set_element(env, arr, base + 6, b);
      } else {
        napi_set_element(env, arr, base + 6, str_or_empty(env, (const char *)e->data, e->data_len));
      }
    }
    napi_value cb, recv, result;
    bool ok = h->cb && napi_get_reference_value(env, h->cb, &cb) == napi_ok && cb;
    if (ok) {
      napi_get_global(env, &recv);
      napi_status st = napi_make_callback(env, h->actx, recv, cb, 1, &arr, &result);
      if (st != napi_ok) report_exception(env);
    }
    napi_close_handle_scope(env, scope);
    if (n < EVENT_CAP) break;
  }
  h->draining = false;
}

/* start(h, callback): watch the event fd; callback(flatArray) runs per batch. */
static napi_value js_start(napi_env env, napi_callback_info info) {
  ARGS(2);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) return throw_type(env, "start(h, callback)");
  if (h->poll_init) {
    napi_throw_error(env, NULL, "sio09: events are already being watched");
    return NULL;
  }
  int fd = -1;
  sio_result r = p_sio_server_event_fd(h->srv, &fd);
  if (r != SIO_OK) return throw_sio(env, h, "sio_server_event_fd", r);
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) {
    napi_throw_error(env, NULL, "sio09: no libuv loop");
    return NULL;
  }
  napi_value name;
  napi_create_string_utf8(env, "sio09:events", NAPI_AUTO_LENGTH, &name);
  if (napi_async_init(env, NULL, name, &h->actx) != napi_ok) return NULL;
  if (napi_create_reference(env, argv[1], 1, &h->cb) != napi_ok) return NULL;
  int rc = uv_poll_init(loop, &h->poll, fd);
  if (rc != 0) {
    napi_throw_error(env, NULL, uv_strerror(rc));
    return NULL;
  }
  h->poll.data = h;
  h->poll_init = true;
  rc = uv_poll_start(&h->poll, UV_READABLE, on_poll);
  if (rc != 0) {
    napi_throw_error(env, NULL, uv_strerror(rc));
    return NULL;
  }
  h->polling = true;
  return num(env, 0);
}

/* ref(h, bool): whether the event watcher keeps Node's loop alive. */
static napi_value js_ref(napi_env env, napi_callback_info info) {
  ARGS(2);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  bool on = true;
  napi_get_value_bool(env, argv[1], &on);
  if (h->poll_init) {
    if (on) uv_ref((uv_handle_t *)&h->poll);
    else uv_unref((uv_handle_t *)&h->poll);
  }
  return num(env, 0);
}

static napi_value js_stop(napi_env env, napi_callback_info info) {
  ARGS(2);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint32_t grace = 0;
  if (!is_nullish(env, argv[1]) && !get_u32(env, argv[1], &grace)) return throw_type(env, "stop(h, graceMs)");
  return num(env, p_sio_server_stop(h->srv, grace));
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  host *h = NULL;
  napi_valuetype t;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, argv[0], (void **)&h) != napi_ok || !h)
    return throw_type(env, "close(h)");
  host_close(h);
  return num(env, 0);
}

/* ------------------------------------------------------------------ commands */

#define GET_SOCK(idx, var)                                    \
  uint64_t var;                                               \
  if (!get_u64(env, argv[idx], &var)) return throw_type(env, "socket id must be a number or BigInt");

static napi_value js_emit(napi_env env, napi_callback_info info) {
  ARGS(5);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  GET_SOCK(1, sock);
  uint32_t flags = 0;
  if (!is_nullish(env, argv[4]) && !get_u32(env, argv[4], &flags)) return throw_type(env, "flags");
  str_arg name, args;
  if (!get_str(env, argv[2], &name, false)) return throw_type(env, "emit: name must be a string");
  if (!get_str(env, argv[3], &args, false)) {
    free_str(&name);
    return throw_type(env, "emit: args must be a JSON string");
  }
  sio_result r = p_sio_emit(h->srv, sock, name.ptr, name.len, args.ptr, args.len, flags);
  free_str(&name);
  free_str(&args);
  return num(env, r);
}

static napi_value send_like(napi_env env, napi_callback_info info, int json) {
  ARGS(4);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  GET_SOCK(1, sock);
  uint32_t flags = 0;
  if (!is_nullish(env, argv[3]) && !get_u32(env, argv[3], &flags)) return throw_type(env, "flags");
  str_arg text;
  if (!get_str(env, argv[2], &text, false)) return throw_type(env, "send/json: data must be a string");
  sio_result r = json ? p_sio_json(h->srv, sock, text.ptr, text.len, flags)
                      : p_sio_send(h->srv, sock, text.ptr, text.len, flags);
  free_str(&text);
  return num(env, r);
}
static napi_value js_send(napi_env env, napi_callback_info info) { return send_like(env, info, 0); }
static napi_value js_json(napi_env env, napi_callback_info info) { return send_like(env, info, 1); }

static napi_value js_emit_ack(napi_env env, napi_callback_info info) {
  ARGS(5);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  GET_SOCK(1, sock);
  uint64_t token;
  if (!get_u64(env, argv[4], &token)) return throw_type(env, "emitAck: token");
  str_arg name, args;
  if (!get_str(env, argv[2], &name, false)) return throw_type(env, "emitAck: name must be a string");
  if (!get_str(env, argv[3], &args, false)) {
    free_str(&name);
    return throw_type(env, "emitAck: args must be a JSON string");
  }
  sio_result r = p_sio_emit_with_ack(h->srv, sock, name.ptr, name.len, args.ptr, args.len, token);
  free_str(&name);
  free_str(&args);
  return num(env, r);
}

/* sendAck(h, socket, text, token, json): send()/json.send() with an ack callback. */
static napi_value js_send_ack(napi_env env, napi_callback_info info) {
  ARGS(5);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  GET_SOCK(1, sock);
  uint64_t token;
  if (!get_u64(env, argv[3], &token)) return throw_type(env, "sendAck: token");
  uint32_t json = 0;
  if (!is_nullish(env, argv[4]) && !get_u32(env, argv[4], &json)) return throw_type(env, "sendAck: json");
  str_arg text;
  if (!get_str(env, argv[2], &text, false)) return throw_type(env, "sendAck: data must be a string");
  sio_result r = json ? p_sio_json_with_ack(h->srv, sock, text.ptr, text.len, token)
                      : p_sio_send_with_ack(h->srv, sock, text.ptr, text.len, token);
  free_str(&text);
  return num(env, r);
}

static napi_value js_ack(napi_env env, napi_callback_info info) {
  ARGS(4);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  GET_SOCK(1, sock);
  uint64_t ackid;
  if (!get_u64(env, argv[2], &ackid)) return throw_type(env, "ack: id");
  str_arg args;
  if (!get_str(env, argv[3], &args, false)) return throw_type(env, "ack: args must be a JSON string");
  sio_result r = p_sio_ack(h->srv, sock, ackid, args.ptr, args.len);
  free_str(&args);
  return num(env, r);
}

/* broadcast(h, nsp, room|null, except[]|null, packet, name|null, data, flags) */
static napi_value js_broadcast(napi_env env, napi_callback_info info) {
  ARGS(8);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint32_t nsp, packet, flags = 0;
  if (!get_u32(env, argv[1], &nsp)) return throw_type(env, "broadcast: nsp");
  if (!get_u32(env, argv[4], &packet)) return throw_type(env, "broadcast: packet type");
  if (!is_nullish(env, argv[7]) && !get_u32(env, argv[7], &flags)) return throw_type(env, "broadcast: flags");
  uint64_t except_inline[16];
  uint64_t *except = except_inline;
  uint32_t n_except = 0;
  if (!is_nullish(env, argv[3])) {
    bool isarr = false;
    napi_is_array(env, argv[3], &isarr);
    if (!isarr) return throw_type(env, "broadcast: except must be an array");
    napi_get_array_length(env, argv[3], &n_except);
    if (n_except > 16) {
      except = malloc(sizeof(uint64_t) * n_except);
      if (!except) {
        napi_throw_error(env, NULL, "sio09: out of memory");
        return NULL;
      }
    }
    for (uint32_t i = 0; i < n_except; i++) {
      napi_value el;
      napi_get_element(env, argv[3], i, &el);
      if (!get_u64(env, el, &except[i])) {
        if (except != except_inline) free(except);
        return throw_type(env, "broadcast: except ids must be numbers or BigInts");
      }
    }
  }
  str_arg room, name, data;
  bool ok = get_str(env, argv[2], &room, true);
  bool ok2 = ok && get_str(env, argv[5], &name, true);
  bool ok3 = ok2 && get_str(env, argv[6], &data, false);
  sio_result r = SIO_E_INVALID_PARAM;
  if (ok3) {
    r = p_sio_broadcast(h->srv, nsp, room.ptr, n_except ? except : NULL, n_except, packet,
                        name.ptr, name.null ? 0 : name.len, data.ptr, data.len, flags);
  }
  if (ok3) free_str(&data);
  if (ok2) free_str(&name);
  if (ok) free_str(&room);
  if (except != except_inline) free(except);
  if (!ok3) return throw_type(env, "broadcast: room/name must be strings or null, data a string");
  return num(env, r);
}

/* emitToSid(h, nsp, sid, packet, name|null, data, flags): a packet for a session the host
   has no socket id for (another node of the cluster). */
static napi_value js_emit_to_sid(napi_env env, napi_callback_info info) {
  ARGS(7);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint32_t nsp, packet, flags = 0;
  if (!get_u32(env, argv[1], &nsp)) return throw_type(env, "emitToSid: nsp");
  if (!get_u32(env, argv[3], &packet)) return throw_type(env, "emitToSid: packet type");
  if (!is_nullish(env, argv[6]) && !get_u32(env, argv[6], &flags)) return throw_type(env, "emitToSid: flags");
  str_arg sid, name, data;
  bool ok = get_str(env, argv[2], &sid, false);
  bool ok2 = ok && get_str(env, argv[4], &name, true);
  bool ok3 = ok2 && get_str(env, argv[5], &data, false);
  sio_result r = SIO_E_INVALID_PARAM;
  if (ok3) {
    r = p_sio_emit_to_sid(h->srv, nsp, sid.ptr, packet, name.ptr, name.null ? 0 : name.len,
                          data.ptr, data.len, flags);
    free_str(&data);
  }
  if (ok2) free_str(&name);
  if (ok) free_str(&sid);
  if (!ok3) return throw_type(env, "emitToSid: sid/data must be strings, name a string or null");
  return num(env, r);
}

/* emitToSidAck(h, nsp, sid, packet, name|null, data, token): sio_emit_to_sid_with_ack */
static napi_value js_emit_to_sid_ack(napi_env env, napi_callback_info info) {
  ARGS(7);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint32_t nsp, packet;
  uint64_t token;
  if (!get_u32(env, argv[1], &nsp)) return throw_type(env, "emitToSidAck: nsp");
  if (!get_u32(env, argv[3], &packet)) return throw_type(env, "emitToSidAck: packet type");
  if (!get_u64(env, argv[6], &token)) return throw_type(env, "emitToSidAck: token");
  str_arg sid, name, data;
  bool ok = get_str(env, argv[2], &sid, false);
  bool ok2 = ok && get_str(env, argv[4], &name, true);
  bool ok3 = ok2 && get_str(env, argv[5], &data, false);
  sio_result r = SIO_E_INVALID_PARAM;
  if (ok3) {
    r = p_sio_emit_to_sid_with_ack(h->srv, nsp, sid.ptr, packet, name.ptr, name.null ? 0 : name.len,
                                   data.ptr, data.len, token);
    free_str(&data);
  }
  if (ok2) free_str(&name);
  if (ok) free_str(&sid);
  if (!ok3) return throw_type(env, "emitToSidAck: sid/data must be strings, name a string or null");
  return num(env, r);
}

/* storeSid(h, op, sid, key, token, valueJson|null): sio_client_op_sid */
static napi_value js_store_sid(napi_env env, napi_callback_info info) {
  ARGS(6);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint32_t op;
  uint64_t token;
  if (!get_u32(env, argv[1], &op) || op > 3) return throw_type(env, "storeSid: op");
  if (!get_u64(env, argv[4], &token)) return throw_type(env, "storeSid: token");
  str_arg sid, key, val;
  bool ok = get_str(env, argv[2], &sid, false);
  bool ok2 = ok && get_str(env, argv[3], &key, false);
  bool ok3 = ok2 && get_str(env, argv[5], &val, true);
  sio_result r = SIO_E_INVALID_PARAM;
  if (ok3) {
    r = p_sio_client_op_sid(h->srv, sid.ptr, op, key.ptr, val.ptr, val.null ? 0 : val.len, token);
    free_str(&val);
  }
  if (ok2) free_str(&key);
  if (ok) free_str(&sid);
  if (!ok3) return throw_type(env, "storeSid: sid/key must be strings, value a JSON string or null");
  return num(env, r);
}

static napi_value room_op(napi_env env, napi_callback_info info, int leave) {
  ARGS(3);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  GET_SOCK(1, sock);
  str_arg room;
  if (!get_str(env, argv[2], &room, false)) return throw_type(env, "join/leave: room must be a string");
  sio_result r = leave ? p_sio_leave(h->srv, sock, room.ptr) : p_sio_join(h->srv, sock, room.ptr);
  free_str(&room);
  return num(env, r);
}
static napi_value js_join(napi_env env, napi_callback_info info) { return room_op(env, info, 0); }

/* joinSid/leaveSid(h, nsp, sid, room): a session by id, wherever it lives (another node of
   the cluster applies it) */
static napi_value room_sid_op(napi_env env, napi_callback_info info, int leave) {
  ARGS(4);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint32_t nsp;
  if (!get_u32(env, argv[1], &nsp)) return throw_type(env, "joinSid/leaveSid: nsp");
  str_arg sid, room;
  bool ok = get_str(env, argv[2], &sid, false);
  bool ok2 = ok && get_str(env, argv[3], &room, false);
  sio_result r = SIO_E_INVALID_PARAM;
  if (ok2) {
    r = leave ? p_sio_leave_sid(h->srv, nsp, sid.ptr, room.ptr) : p_sio_join_sid(h->srv, nsp, sid.ptr, room.ptr);
    free_str(&room);
  }
  if (ok) free_str(&sid);
  if (!ok2) return throw_type(env, "joinSid/leaveSid: sid and room must be strings");
  return num(env, r);
}
/* disconnectSid(h, nsp, sid): server-side disconnect of a session by id, wherever it lives */
static napi_value js_disconnect_sid(napi_env env, napi_callback_info info) {
  ARGS(3);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint32_t nsp;
  if (!get_u32(env, argv[1], &nsp)) return throw_type(env, "disconnectSid: nsp");
  str_arg sid;
  if (!get_str(env, argv[2], &sid, false)) return throw_type(env, "disconnectSid: sid must be a string");
  sio_result r = p_sio_disconnect_sid(h->srv, nsp, sid.ptr);
  free_str(&sid);
  return num(env, r);
}
static napi_value js_join_sid(napi_env env, napi_callback_info info) { return room_sid_op(env, info, 0); }
static napi_value js_leave_sid(napi_env env, napi_callback_info info) { return room_sid_op(env, info, 1); }
static napi_value js_leave(napi_env env, napi_callback_info info) { return room_op(env, info, 1); }

static napi_value js_disconnect(napi_env env, napi_callback_info info) {
  ARGS(2);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  GET_SOCK(1, sock);
  return num(env, p_sio_disconnect(h->srv, sock));
}

/* store(h, op, socket, key, token[, valueJson]) with op 0 set, 1 get, 2 has, 3 del */
static napi_value js_store(napi_env env, napi_callback_info info) {
  ARGS(6);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint32_t op;
  if (!get_u32(env, argv[1], &op) || op > 3) return throw_type(env, "store: op");
  GET_SOCK(2, sock);
  uint64_t token;
  if (!get_u64(env, argv[4], &token)) return throw_type(env, "store: token");
  str_arg key, val;
  if (!get_str(env, argv[3], &key, false)) return throw_type(env, "store: key must be a string");
  sio_result r;
  switch (op) {
    case 0:
      if (!get_str(env, argv[5], &val, false)) {
        free_str(&key);
        return throw_type(env, "store: value must be a JSON string");
      }
      r = p_sio_client_set(h->srv, sock, key.ptr, val.ptr, val.len, token);
      free_str(&val);
      break;
    case 1: r = p_sio_client_get(h->srv, sock, key.ptr, token); break;
    case 2: r = p_sio_client_has(h->srv, sock, key.ptr, token); break;
    default: r = p_sio_client_del(h->srv, sock, key.ptr, token); break;
  }
  free_str(&key);
  return num(env, r);
}

/* authReply(h, request, allow, error|null, handshakeJson|null) */
static napi_value js_auth_reply(napi_env env, napi_callback_info info) {
  ARGS(5);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint64_t req;
  if (!get_u64(env, argv[1], &req)) return throw_type(env, "authReply: request id");
  bool allow = false;
  if (napi_get_value_bool(env, argv[2], &allow) != napi_ok) return throw_type(env, "authReply: allow must be a boolean");
  str_arg err, hs;
  if (!get_str(env, argv[3], &err, true)) return throw_type(env, "authReply: error must be a string or null");
  if (!get_str(env, argv[4], &hs, true)) {
    free_str(&err);
    return throw_type(env, "authReply: handshake must be a JSON string or null");
  }
  sio_result r = p_sio_authorize_reply(h->srv, req, allow ? 1 : 0, err.ptr, hs.ptr);
  free_str(&err);
  free_str(&hs);
  return num(env, r);
}

/* clients(h, nsp, room|null) -> JSON text of the sid array */
static napi_value js_clients(napi_env env, napi_callback_info info) {
  ARGS(3);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint32_t nsp;
  if (!get_u32(env, argv[1], &nsp)) return throw_type(env, "clients: nsp");
  str_arg room;
  if (!get_str(env, argv[2], &room, true)) return throw_type(env, "clients: room must be a string or null");
  clients_args a = {nsp, room.ptr};
  napi_value out = json_out(env, h, "sio_clients", fill_clients, &a);
  free_str(&room);
  return out;
}

/* lookup(h, nsp, sid) -> socket id or null */
static napi_value js_lookup(napi_env env, napi_callback_info info) {
  ARGS(3);
  host *h = get_host(env, argv[0]);
  if (!h) return NULL;
  uint32_t nsp;
  if (!get_u32(env, argv[1], &nsp)) return throw_type(env, "lookup: nsp");
  str_arg sid;
  if (!get_str(env, argv[2], &sid, false)) return throw_type(env, "lookup: sid must be a string");
  uint64_t sock = 0;
  sio_result r = p_sio_socket_lookup(h->srv, nsp, sid.ptr, &sock);
  free_str(&sid);
  napi_value out;
  if (r != SIO_OK) {
    napi_get_null(env, &out);
    return out;
  }
  return make_u64(env, sock);
}

/* ------------------------------------------------------------------ module */

#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
    FN("load", js_load),
    FN("version", js_version),
    FN("resultStr", js_result_str),
    FN("create", js_create),
    FN("lastError", js_last_error),
    FN("set", js_set),
    FN("get", js_get),
    FN("of", js_of),
    FN("authorization", js_authorization),
    FN("listen", js_listen),
    FN("localPort", js_local_port),
    FN("adopt", js_adopt),
    FN("emitToSidAck", js_emit_to_sid_ack),
    FN("storeSid", js_store_sid),
    FN("start", js_start),
    FN("ref", js_ref),
    FN("stop", js_stop),
    FN("close", js_close),
    FN("emit", js_emit),
    FN("send", js_send),
    FN("json", js_json),
    FN("emitAck", js_emit_ack),
    FN("sendAck", js_send_ack),
    FN("emitToSid", js_emit_to_sid),
    FN("ack", js_ack),
    FN("broadcast", js_broadcast),
    FN("join", js_join),
    FN("leave", js_leave),
    FN("disconnect", js_disconnect),
    FN("store", js_store),
    FN("authReply", js_auth_reply),
    FN("clients", js_clients),
    FN("lookup", js_lookup),
    FN("authorizationOff", js_authorization_off),
    FN("ofWithAuthorization", js_of_with_auth),
    FN("setHandback", js_set_handback),
    FN("sessions", js_sessions),
    FN("joinSid", js_join_sid),
    FN("leaveSid", js_leave_sid),
    FN("rooms", js_rooms),
    FN("roomClients", js_room_clients),
    FN("setRoomEvents", js_set_room_events),
    FN("disconnectSid", js_disconnect_sid),
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  napi_value v;
  napi_create_uint32(env, ((uint32_t)SIO_ABI_MAJOR << 16) | SIO_ABI_MINOR, &v);
  napi_set_named_property(env, exports, "headerAbi", v);
  return exports;
}
