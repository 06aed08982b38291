// Argument reading and checking for every entry point of the binding (see args.h).
#include "args.h"

#include <cmath>

#include "limits.h"

namespace charrnn {
namespace binding {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// JSON.stringify of the first 40 UTF-16 units of a string (plus '…' when longer), like describe().
std::string quote_string(napi_env env, napi_value v) {
  char16_t buf[41];
  std::size_t len = 0, total = 0;
  if (napi_get_value_string_utf16(env, v, nullptr, 0, &total) != napi_ok) return "a string";
  if (napi_get_value_string_utf16(env, v, buf, 41, &len) != napi_ok) return "a string";
  std::string out = "\"";
  for (std::size_t i = 0; i < len && i < 40; i++) {
    std::uint32_t c = buf[i];
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < len && i + 1 < 40 && buf[i + 1] >= 0xDC00 && buf[i + 1] < 0xE000) {
      c = 0x10000 + ((c - 0xD800) << 10) + (buf[i + 1] - 0xDC00);
      i++;
    } else if (c >= 0xD800 && c < 0xE000) {
      c = 0xFFFD;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      static const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      append_utf8(out, c);
    }
  }
  if (total > 40) out += "\xE2\x80\xA6";  // …
  out += '"';
  return out;
}

// JS String(x) of a primitive number / boolean / bigint (coercion of a primitive runs no user code).
std::string primitive_to_string(napi_env env, napi_value v) {
  napi_value s;
  if (napi_coerce_to_string(env, v, &s) != napi_ok) return "?";
  std::size_t len = 0;
  char buf[64];
  if (napi_get_value_string_utf8(env, s, buf, sizeof buf, &len) != napi_ok) return "?";
  return std::string(buf, len);
}

}  // namespace

std::string number_to_string(Napi::Env env, double x) { return primitive_to_string(env, Napi::Number::New(env, x)); }

const char* typed_array_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "TypedArray";
  }
}

std::string describe(Napi::Value v) {
  napi_env env = v.Env();
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean:
    case napi_number:
    case napi_bigint: return primitive_to_string(env, v);
    case napi_string: return quote_string(env, v);
    case napi_symbol: return "a value of type symbol";
    case napi_function: return "a value of type function";
    default: break;
  }
  if (v.IsArray()) {
    std::uint32_t n = 0;
    napi_get_array_length(env, v, &n);
    return "an array of length " + std::to_string(n);
  }
  if (v.IsTypedArray()) {
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    return std::string("a ") + typed_array_name(ta.TypedArrayType()) + " of length " +
           std::to_string(ta.ElementLength());
  }
  if (v.IsDataView()) return "a DataView";
  return "a value of type object";
}

std::string integer_in(std::int64_t lo, std::int64_t hi) { return "an integer in " + interval(lo, hi); }

void throw_type(Napi::Env env, const std::string& what, const std::string& name, Napi::Value v) {
  throw Napi::TypeError::New(env, "Expected " + what + " for " + name + " but received " + describe(v));
}

void throw_range(Napi::Env env, const std::string& what, const std::string& name, const std::string& received) {
  throw Napi::RangeError::New(env, "Expected " + what + " for " + name + " but received " + received);
}

Napi::Error coded_error(Napi::Env env, const char* message, const char* code) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Value().Set("code", Napi::String::New(env, code));
  return e;
}

ArrayArg<float> f32_exact(Napi::Env env, Napi::Value v, const char* name, std::size_t n) {
  ArrayArg<float> a = f32_arg(env, v, name);
  expect_length(env, a, n, "Float32Array", name);
  return a;
}

void check_ids(Napi::Env env, const ArrayArg<std::int32_t>& ids, std::size_t V, const char* name) {
  for (std::size_t i = 0; i < ids.length; i++) {
    const std::int32_t id = ids.data[i];
    if (id < 0 || static_cast<std::size_t>(id) >= V)
      throw Napi::RangeError::New(env, "Expected token ids in [0, " + std::to_string(V - 1) + "] for " + name +
                                           " but received " + std::to_string(id) + " at index " + std::to_string(i));
  }
}

bool overlaps(const Span& a, const Span& b) { return a.begin < b.end && b.begin < a.end; }

void expect_disjoint(Napi::Env env, const Span& out, const Span& other, std::size_t out_length) {
  if (overlaps(out, other))
    throw Napi::RangeError::New(env, std::string("Expected a Float32Array that shares no memory with ") + other.name +
                                         " for " + out.name + " but received a Float32Array of length " +
                                         std::to_string(out_length) + " overlapping it");
}

double number_arg(Napi::Env env, Napi::Value v, const std::string& what, const char* name) {
  if (!v.IsNumber()) throw_type(env, what, name, v);
  return v.As<Napi::Number>().DoubleValue();
}

double int_arg(Napi::Env env, Napi::Value v, const std::string& what, const char* name, double lo, double hi) {
  const double x = number_arg(env, v, what, name);
  if (!std::isfinite(x) || std::floor(x) != x || x < lo || x > hi) throw_range(env, what, name, describe(v));
  return x;
}

double int_in_arg(Napi::Env env, Napi::Value v, const char* name, std::int64_t lo, std::int64_t hi) {
  return int_arg(env, v, integer_in(lo, hi), name, static_cast<double>(lo), static_cast<double>(hi));
}

double positive_int_arg(Napi::Env env, Napi::Value v, const char* name) {
  return int_arg(env, v, "a positive integer", name, 1, static_cast<double>(kMaxSafeInteger));
}

bool bool_arg(Napi::Env env, Napi::Value v, const char* name) {
  if (!v.IsBoolean()) throw_type(env, "a boolean", name, v);
  return v.As<Napi::Boolean>().Value();
}

std::string one_of_arg(Napi::Env env, Napi::Value v, const char* name, std::initializer_list<const char*> allowed) {
  std::string what = "one of ";
  bool first = true;
  for (const char* a : allowed) {
    what += (first ? "'" : ", '") + std::string(a) + "'";
    first = false;
  }
  if (!v.IsString()) throw_type(env, what, name, v);
  const std::string s = v.As<Napi::String>().Utf8Value();
  for (const char* a : allowed)
    if (s == a) return s;
  throw_range(env, what, name, describe(v));
}

void expect_args(const Napi::CallbackInfo& info, std::size_t n, const char* method) {
  if (info.Length() < n)
    throw Napi::TypeError::New(info.Env(), "Expected " + std::to_string(n) +
                                               (n == 1 ? " argument for " : " arguments for ") + method +
                                               " but received " + std::to_string(info.Length()));
}

}  // namespace binding
}  // namespace charrnn
