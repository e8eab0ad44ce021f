{
  "targets": [
    {
      "target_name": "sio09_node",
      "sources": ["src/addon.c"],
      "include_dirs": ["<!(node -p \"process.env.SIO09_INCLUDE || require('path').resolve('../../include')\")"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror=implicit-function-declaration"],
      "libraries": ["-ldl"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
