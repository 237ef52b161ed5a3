{
  "targets": [
    {
      "target_name": "berkeley",
      "sources": [
        "native/addon.c",
        "native/args.c",
        "native/capture.c",
        "native/codec.c",
        "native/constants.c",
        "native/file.c",
        "native/io.c",
        "native/mmsg.c",
        "native/netdb.c",
        "native/pump.c",
        "native/readiness.c",
        "native/resolver.c",
        "native/scratch.c",
        "native/socket.c",
        "native/sockopt.c",
        "native/tcpinfo.c",
        "native/wait.c"
      ],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "-fvisibility=hidden"],
      "cflags": ["-fvisibility=hidden"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": { "GCC_SYMBOLS_PRIVATE_EXTERN": "YES", "OTHER_CFLAGS": ["-std=gnu11"] }
        }]
      ]
    }
  ]
}
