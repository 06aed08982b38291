// The drop-in functions (lossFun, gemm, gemv, axpy, dot): synchronous calls over caller-owned Float32Arrays,
// typed in src/dropin/native.ts.
#pragma once
#include <napi.h>

namespace charrnn {
namespace binding {

// Sets lossFun, gemm, gemv, axpy and dot on `exports`.
void register_dropin(Napi::Env env, Napi::Object exports);

}  // namespace binding
}  // namespace charrnn
