# node-gyp build of the charrnn addon (`npm run build:native`; Debug/ASan: `npm run build:debug`).
# Sources: every .cc under native/{binding,kernels,nn,optim,util}, listed at configure time (native/binding/ is the
# N-API layer, the only one that includes napi.h).
# Flags and defines must stay identical to CMakeLists.txt. No -march=native / -mavx2: AVX2 and AVX-512 are enabled
# per function by pragma in native/kernels/kernels_avx2.cc / kernels_avx512.cc and chosen at run time. -z now: an
# unresolved symbol fails dlopen (a catchable load error, so 'auto' falls back to JS) instead of killing the
# process later.
{
  "targets": [
    {
      "target_name": "charrnn",
      "sources": [
        "<!@(node -p \"['binding','kernels','nn','optim','util'].flatMap(d=>require('fs').readdirSync('native/'+d).filter(f=>f.endsWith('.cc')).sort().map(f=>'native/'+d+'/'+f)).join(' ')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_CPP_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++20"],
      "cflags": ["-O3", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "ldflags": ["-Wl,-z,now"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "OTHER_CFLAGS": ["-O3", "-Wall", "-Wextra"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] }
      },
      "configurations": {
        "Debug": {
          "cflags!": ["-O3"],
          "cflags": ["-O0", "-g", "-fsanitize=address,undefined", "-fno-omit-frame-pointer"],
          "ldflags": ["-fsanitize=address,undefined"],
          "xcode_settings": {
            "OTHER_CFLAGS!": ["-O3"],
            "OTHER_CFLAGS": ["-O0", "-g", "-fsanitize=address,undefined", "-fno-omit-frame-pointer"],
            "OTHER_LDFLAGS": ["-fsanitize=address,undefined"]
          }
        }
      }
    }
  ]
}
