// Reading and checking N-API arguments: describe() of a received value, the message helpers, typed-array and
// number readers, token-id and overlap checks, and guarded(), which turns every C++ exception into a JS error.
// Every reader checks the type first (TypeError), then the range (RangeError), in the project's message shape
// "Expected WHAT for NAME but received DESCRIPTION" (src/util/validate.ts). Nothing here runs user code (no
// getters, no toString). Deliberately no model or session knowledge.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <new>
#include <stdexcept>
#include <string>

namespace charrnn {
namespace binding {

// ---- Messages

// Mirrors describe() in src/util/validate.ts.
std::string describe(Napi::Value v);
// JS String(x) of a number.
std::string number_to_string(Napi::Env env, double x);
// "Float32Array" etc.
const char* typed_array_name(napi_typedarray_type t);
// "an integer in [lo, hi]"
std::string integer_in(std::int64_t lo, std::int64_t hi);

[[noreturn]] void throw_type(Napi::Env env, const std::string& what, const std::string& name, Napi::Value v);
[[noreturn]] void throw_range(Napi::Env env, const std::string& what, const std::string& name,
                              const std::string& received);

// An Error with a stable `code` property (e.g. ERR_CHARRNN_BUSY) beside its message.
Napi::Error coded_error(Napi::Env env, const char* message, const char* code);

// ---- Typed arrays

template <typename Elem>
struct ArrayArg {
  Elem* data;
  std::size_t length;
};

// The typed array `v` of kind Kind (TypeError otherwise, or when its buffer was detached). One
// napi_get_typedarray_info per argument: this runs ~7 times on every trainChunk, and node-addon-api's wrappers
// would query the same info three or four times.
template <typename Elem, napi_typedarray_type Kind>
ArrayArg<Elem> typed_arg(Napi::Env env, Napi::Value v, const char* name) {
  const char* tname = typed_array_name(Kind);
  const char* article = Kind == napi_int32_array ? "an " : "a ";
  bool is_typed = false;
  napi_typedarray_type type = napi_int8_array;
  std::size_t length = 0;
  void* data = nullptr;
  napi_value buffer = nullptr;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, nullptr) != napi_ok || type != Kind)
    throw_type(env, std::string(article) + tname, name, v);
  bool detached = false;
  if (buffer != nullptr && napi_is_detached_arraybuffer(env, buffer, &detached) == napi_ok && detached)
    throw Napi::TypeError::New(env, std::string("Expected ") + article + tname + " for " + name +
                                        " but received a detached " + tname + " (its buffer was transferred)");
  return {static_cast<Elem*>(data), length};
}

inline ArrayArg<float> f32_arg(Napi::Env env, Napi::Value v, const char* name) {
  return typed_arg<float, napi_float32_array>(env, v, name);
}
inline ArrayArg<std::int32_t> i32_arg(Napi::Env env, Napi::Value v, const char* name) {
  return typed_arg<std::int32_t, napi_int32_array>(env, v, name);
}
inline ArrayArg<std::uint32_t> u32_arg(Napi::Env env, Napi::Value v, const char* name) {
  return typed_arg<std::uint32_t, napi_uint32_array>(env, v, name);
}
inline ArrayArg<double> f64_arg(Napi::Env env, Napi::Value v, const char* name) {
  return typed_arg<double, napi_float64_array>(env, v, name);
}

// RangeError unless a.length == n ("Expected a Float32Array of length 6 for hidden but received …").
template <typename Elem>
void expect_length(Napi::Env env, const ArrayArg<Elem>& a, std::size_t n, const char* tname, const char* name) {
  if (a.length != n)
    throw_range(env, std::string(tname[0] == 'I' ? "an " : "a ") + tname + " of length " + std::to_string(n), name,
                std::string("a ") + tname + " of length " + std::to_string(a.length));  // describe()'s article
}

// A Float32Array of exactly n elements.
ArrayArg<float> f32_exact(Napi::Env env, Napi::Value v, const char* name, std::size_t n);

// Token ids in [0, V): the first offender is reported with its index (as checkIds in check.ts).
void check_ids(Napi::Env env, const ArrayArg<std::int32_t>& ids, std::size_t V, const char* name);

// ---- Overlap: the one check of whether two arguments share memory

// The byte range of one typed-array argument (compared as integers, never as pointers).
struct Span {
  std::uintptr_t begin, end;
  const char* name;
};

template <typename Elem>
Span span_of(const ArrayArg<Elem>& a, const char* name) {
  const std::uintptr_t b = reinterpret_cast<std::uintptr_t>(a.data);
  return {b, b + a.length * sizeof(Elem), name};
}

bool overlaps(const Span& a, const Span& b);

// `out` is written: it must share no byte with `other` (RangeError naming both).
void expect_disjoint(Napi::Env env, const Span& out, const Span& other, std::size_t out_length);

// ---- Numbers, booleans, strings

double number_arg(Napi::Env env, Napi::Value v, const std::string& what, const char* name);
// An integer in [lo, hi]; `what` names the expectation ("a positive integer").
double int_arg(Napi::Env env, Napi::Value v, const std::string& what, const char* name, double lo, double hi);
// An integer in [lo, hi], expected as "an integer in [lo, hi]".
double int_in_arg(Napi::Env env, Napi::Value v, const char* name, std::int64_t lo, std::int64_t hi);
double positive_int_arg(Napi::Env env, Napi::Value v, const char* name);
bool bool_arg(Napi::Env env, Napi::Value v, const char* name);
std::string one_of_arg(Napi::Env env, Napi::Value v, const char* name, std::initializer_list<const char*> allowed);

// TypeError unless at least n arguments were passed.
void expect_args(const Napi::CallbackInfo& info, std::size_t n, const char* method);

// ---- Exceptions

constexpr const char* kOutOfMemory =
    "charrnn: out of memory while allocating native scratch. HINT: use a smaller batch × steps";
constexpr const char* kNativeErrorPrefix = "charrnn: native error: ";
constexpr const char* kUnknownError = "charrnn: unknown native error";

// Runs an entry point, turning every C++ exception into a JS error (Napi::Error passes through).
template <typename Fn>
auto guarded(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) { throw; } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(env, kOutOfMemory);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(kNativeErrorPrefix) + e.what());
  } catch (...) { throw Napi::Error::New(env, kUnknownError); }
}

}  // namespace binding
}  // namespace charrnn
