// The N-API surface of charrnn: argument checks, the Session ObjectWrap, the trainChunk AsyncWorker.
// The only file that includes napi.h. Every entry point re-validates everything it dereferences (types,
// lengths, id ranges, hyper-parameters, detached buffers, busy/disposed state) and converts any C++
// exception into a JS error, so no call from JS can crash the process. Deliberately no math here: that
// lives in nn/ and optim/ over raw pointers.
//
// Exports (typed in src/backends/native.ts as NativeBinding):
//   abi: number                          bumped whenever this surface changes
//   hyperFields: string[]                order of the Float64Array `hyper` argument of trainChunk
//   capabilities(): { isa, supported, simdForced, threads }
//   setIsa(name): string                 force a kernel path ('avx512' | 'avx2' | 'scalar'); returns the active isa
//   layout(cell, activation, vocabSize, hiddenSizes, embeddingSize, dropout):
//       { tensors: [{ name, offset, size }], size, stateSize }   (stateSize: of one stream)
//   new Session(cell, activation, vocabSize, hiddenSizes, embeddingSize, dropout, params, grads, optState)
//       cell 'rnn' | 'lstm' | 'gru', activation 'tanh' | 'relu', hiddenSizes an Int32Array (one width per layer);
//       the vanilla model (rnn, tanh, one layer, one-hot, no dropout) runs nn/rnn.h, every other one nn/stack.h
//     .gradient(inputs, targets, hidden, batch, steps, reduction, rngState?): number
//     .trainChunk(inputs, targets, hidden, batch, steps, reduction, kind, hyper, rngState?): { loss, gradNorm }
//     .trainChunkAsync(same): Promise<{ loss, gradNorm }>
//       (rngState: Uint32Array(4), required when dropout > 0, advanced in place; ignored otherwise)
//     .evaluate(ids, hidden?): { totalNats, count }
//     .step(hidden, token, probs, temperature): undefined
//     .sample(hidden, prime, length, temperature, greedy, rngState): Int32Array
//     .dispose(): undefined
//   lossFun(inputs, targets, hprev, Wxh, Whh, Why, bh, by, dWxh, dWhh, dWhy, dbh, dby, hOut): number
//   gemm(transA, transB, M, N, K, A, lda, B, ldb, C, ldc, accumulate), gemv(trans, M, N, A, lda, x, y, accumulate),
//   axpy(alpha, x, y), dot(x, y): number      (drop-in functions, typed in src/backends/native-dropin.ts)
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "nn/layout.h"
#include "nn/lossfun.h"
#include "nn/rnn.h"
#include "nn/stack.h"
#include "optim/optim.h"
#include "util/rng.h"
#include "util/scratch.h"
#include "util/threadpool.h"

namespace charrnn {
namespace {

constexpr int kAbi = 3;
// Same bounds as the TS facade (src/model/config.ts, src/backends/js/check.ts).
constexpr double kMaxHidden = 16384;
constexpr double kMaxVocab = 1 << 20;
constexpr double kMaxLayers = 64;
constexpr double kMaxEmbedding = 16384;
constexpr double kMaxScratchElements = 536870912;  // 2^29: B·T·max(H, V) per call
constexpr double kMaxSampleLength = 1073741824;    // 2^30
constexpr const char* kBusy = "model is busy: an asynchronous trainChunk is still running; await it first";
constexpr const char* kDisposed = "This backend session has been disposed";
constexpr const char* kHyperFields[] = {"lr",          "momentum", "beta1",    "beta2", "eps",
                                        "weightDecay", "clipValue", "clipNorm", "step"};
constexpr std::size_t kHyperCount = sizeof(kHyperFields) / sizeof(kHyperFields[0]);

std::atomic<int> g_async_in_flight{0};  // setIsa refuses while any trainChunkAsync runs
std::atomic<bool> g_simd_forced{false};

// ---------------------------------------------------------------------------------------------
// Messages: the project shape "Expected WHAT for NAME but received DESCRIPTION" (src/util/validate.ts).

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

std::string number_to_string(napi_env env, double x) { return primitive_to_string(env, Napi::Number::New(env, x)); }

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

// Mirrors describe() in src/util/validate.ts. Never runs user code (no getters, no toString).
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

[[noreturn]] void throw_type(Napi::Env env, const std::string& what, const char* name, Napi::Value v) {
  throw Napi::TypeError::New(env, "Expected " + what + " for " + name + " but received " + describe(v));
}
[[noreturn]] void throw_range(Napi::Env env, const std::string& what, const char* name, const std::string& received) {
  throw Napi::RangeError::New(env, "Expected " + what + " for " + name + " but received " + received);
}

// ---------------------------------------------------------------------------------------------
// Argument readers. Each checks type first (TypeError), then range (RangeError).

template <typename Elem>
struct ArrayArg {
  Elem* data;
  std::size_t length;
};

template <typename Elem, napi_typedarray_type Kind>
ArrayArg<Elem> typed_arg(Napi::Env env, Napi::Value v, const char* name) {
  // One napi_get_typedarray_info per argument (type, length, first-element pointer, buffer): this runs ~7 times
  // on every trainChunk, and node-addon-api's wrappers would query the same info three or four times.
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
    throw Napi::TypeError::New(env, std::string("Expected ") + article + tname + " for " + name + " but received a detached " +
                                        tname + " (its buffer was transferred)");
  return {static_cast<Elem*>(data), length};
}

ArrayArg<float> f32_arg(Napi::Env env, Napi::Value v, const char* name) {
  return typed_arg<float, napi_float32_array>(env, v, name);
}
ArrayArg<std::int32_t> i32_arg(Napi::Env env, Napi::Value v, const char* name) {
  return typed_arg<std::int32_t, napi_int32_array>(env, v, name);
}
ArrayArg<std::uint32_t> u32_arg(Napi::Env env, Napi::Value v, const char* name) {
  return typed_arg<std::uint32_t, napi_uint32_array>(env, v, name);
}

template <typename Elem>
void expect_length(Napi::Env env, const ArrayArg<Elem>& a, std::size_t n, const char* tname, const char* name) {
  if (a.length != n)
    throw_range(env, std::string(tname[0] == 'I' ? "an " : "a ") + tname + " of length " + std::to_string(n), name,
                std::string("a ") + tname + " of length " + std::to_string(a.length));  // describe()'s article
}

ArrayArg<float> f32_exact(Napi::Env env, Napi::Value v, const char* name, std::size_t n) {
  ArrayArg<float> a = f32_arg(env, v, name);
  expect_length(env, a, n, "Float32Array", name);
  return a;
}

double number_arg(Napi::Env env, Napi::Value v, const std::string& what, const char* name) {
  if (!v.IsNumber()) throw_type(env, what, name, v);
  return v.As<Napi::Number>().DoubleValue();
}

// An integer in [lo, hi]; `what` names the expectation ("a positive integer").
double int_arg(Napi::Env env, Napi::Value v, const std::string& what, const char* name, double lo, double hi) {
  const double x = number_arg(env, v, what, name);
  if (!std::isfinite(x) || std::floor(x) != x || x < lo || x > hi) throw_range(env, what, name, describe(v));
  return x;
}

double positive_int_arg(Napi::Env env, Napi::Value v, const char* name) {
  return int_arg(env, v, "a positive integer", name, 1, 9007199254740991.0);
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

// Token ids in [0, V): the first offender is reported with its index (as checkIds in check.ts).
void check_ids(Napi::Env env, const ArrayArg<std::int32_t>& ids, std::size_t V, const char* name) {
  for (std::size_t i = 0; i < ids.length; i++) {
    const std::int32_t id = ids.data[i];
    if (id < 0 || static_cast<std::size_t>(id) >= V)
      throw Napi::RangeError::New(env, "Expected token ids in [0, " + std::to_string(V - 1) + "] for " + name +
                                           " but received " + std::to_string(id) + " at index " + std::to_string(i));
  }
}

void expect_args(const Napi::CallbackInfo& info, std::size_t n, const char* method) {
  if (info.Length() < n)
    throw Napi::TypeError::New(info.Env(), "Expected " + std::to_string(n) + (n == 1 ? " argument for " : " arguments for ") + method +
                                               " but received " + std::to_string(info.Length()));
}

// Runs an entry point, turning every C++ exception into a JS error (Napi::Error passes through).
template <typename Fn>
auto guarded(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(env, "charrnn: out of memory while allocating native scratch. HINT: use a smaller batch × steps");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("charrnn: native error: ") + e.what());
  } catch (...) {
    throw Napi::Error::New(env, "charrnn: unknown native error");
  }
}

// ---------------------------------------------------------------------------------------------
// Model configuration

// The model a session runs: the vanilla fast path (nn/rnn.h, the seeds' arena layout) or the stacked / gated one
// (nn/stack.h, PyTorch's layout), chosen by the rule of isVanilla() in src/model/config.ts.
struct Model {
  bool vanilla = true;
  nn::RnnLayout rnn{};
  std::unique_ptr<nn::StackLayout> stack;
  std::size_t P = 0;            // arena length
  std::size_t V = 0;
  std::size_t state_width = 0;  // stateSize(config, 1)
  double widest = 0;            // max(G·max H, V, E): the row width the scratch cap B·T·widest is checked against
  bool dropout() const { return !vanilla && stack->config.dropout > 0; }
};

// cell, activation, vocabSize, hiddenSizes, embeddingSize, dropout at info[0..5] (the checks of resolveModelConfig).
Model model_args(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string cell = one_of_arg(env, info[0], "cell", {"rnn", "lstm", "gru"});
  const std::string activation = one_of_arg(env, info[1], "activation", {"tanh", "relu"});
  if (activation != "tanh" && cell != "rnn")
    throw_range(env, "'tanh' for cell '" + cell + "'", "activation",
                describe(info[1]) + ". HINT: activation applies to cell 'rnn' only");
  const double V = int_arg(env, info[2], "an integer in [2, 1048576]", "vocabSize", 2, kMaxVocab);
  ArrayArg<std::int32_t> hs = i32_arg(env, info[3], "hiddenSizes");
  if (hs.length < 1 || hs.length > static_cast<std::size_t>(kMaxLayers))
    throw_range(env, "an Int32Array of length in [1, 64] (one width per layer)", "hiddenSizes",
                "a Int32Array of length " + std::to_string(hs.length));
  std::vector<std::size_t> hidden(hs.length);
  for (std::size_t l = 0; l < hs.length; l++) {
    const std::int32_t h = hs.data[l];
    if (h < 1 || h > static_cast<std::int32_t>(kMaxHidden)) {
      const std::string name = "hiddenSizes[" + std::to_string(l) + "]";
      throw_range(env, "an integer in [1, 16384]", name.c_str(), std::to_string(h));
    }
    hidden[l] = static_cast<std::size_t>(h);
  }
  const double E = int_arg(env, info[4], "an integer in [0, 16384]", "embeddingSize", 0, kMaxEmbedding);
  const double p = number_arg(env, info[5], "a number in [0, 1)", "dropout");
  if (!std::isfinite(p) || p < 0 || p >= 1) throw_range(env, "a number in [0, 1)", "dropout", describe(info[5]));

  Model m;
  m.V = static_cast<std::size_t>(V);
  m.vanilla = cell == "rnn" && activation == "tanh" && hidden.size() == 1 && E == 0 && p == 0;
  if (m.vanilla) {
    m.rnn = nn::RnnLayout::of(hidden[0], m.V);
    m.P = m.rnn.size;
    m.state_width = hidden[0];
    m.widest = static_cast<double>(hidden[0] > m.V ? hidden[0] : m.V);
    return m;
  }
  nn::StackConfig c;
  c.cell = cell == "lstm" ? nn::Cell::kLstm : cell == "gru" ? nn::Cell::kGru : nn::Cell::kRnn;
  c.relu = activation == "relu";
  c.V = m.V;
  c.E = static_cast<std::size_t>(E);
  c.hidden = hidden;
  c.dropout = p;
  m.stack.reset(new nn::StackLayout(nn::StackLayout::of(c)));
  m.P = m.stack->size;
  m.state_width = m.stack->state_width;
  m.widest = static_cast<double>(std::max({m.stack->G * m.stack->max_h, m.V, c.E}));
  return m;
}

// ---------------------------------------------------------------------------------------------
// Session

struct ChunkArgs {
  ArrayArg<std::int32_t> inputs, targets;
  ArrayArg<float> hidden;
  ArrayArg<std::uint32_t> rng;  // the dropout mask stream (data null when the model has no dropout)
  int B, T;
};

struct Pointers {
  float* params;
  float* grads;
  float* opt;
  std::size_t opt_length;
};

class TrainWorker;

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Session",
                       {
                           InstanceMethod<&Session::Gradient>("gradient"),
                           InstanceMethod<&Session::TrainChunk>("trainChunk"),
                           InstanceMethod<&Session::TrainChunkAsync>("trainChunkAsync"),
                           InstanceMethod<&Session::Evaluate>("evaluate"),
                           InstanceMethod<&Session::Step>("step"),
                           InstanceMethod<&Session::Sample>("sample"),
                           InstanceMethod<&Session::Dispose>("dispose"),
                       });
  }

  explicit Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info) {
    Napi::Env env = info.Env();
    guarded(env, [&] {
      expect_args(info, 9, "Session");
      model_ = model_args(info);
      if (!model_.vanilla) sws_.reset(new nn::StackWorkspace(model_.stack->layers.size()));
      const std::size_t P = model_.P;
      ArrayArg<float> params = f32_exact(env, info[6], "params", P);
      ArrayArg<float> grads = f32_exact(env, info[7], "grads", P);
      ArrayArg<float> opt = f32_arg(env, info[8], "optState");
      if (opt.length < P)
        throw_range(env, "a Float32Array of length ≥ " + std::to_string(P), "optState", describe(info[8]));
      auto overlap = [](const ArrayArg<float>& a, const ArrayArg<float>& b) {
        return a.data < b.data + b.length && b.data < a.data + a.length;
      };
      if (overlap(params, grads) || overlap(params, opt) || overlap(grads, opt))
        throw Napi::RangeError::New(env, "Expected params, grads and optState to be disjoint Float32Arrays but received overlapping views of one buffer");
      params_ = Napi::Persistent(info[6].As<Napi::Float32Array>());
      grads_ = Napi::Persistent(info[7].As<Napi::Float32Array>());
      opt_ = Napi::Persistent(info[8].As<Napi::Float32Array>());
      return 0;
    });
  }

  // Called by the worker when it completes (main thread).
  void FinishAsync() {
    busy_ = false;
    g_async_in_flight.fetch_sub(1);
  }

 private:
  friend class TrainWorker;

  void check_usable(Napi::Env env) const {
    if (busy_) throw Napi::Error::New(env, kBusy);
    if (disposed_) throw Napi::Error::New(env, kDisposed);
  }

  // The arenas, re-read from their references on every call (a buffer may have been detached or resized).
  Pointers arenas(Napi::Env env, std::size_t opt_needed) {
    const std::size_t P = model_.P;
    ArrayArg<float> p = f32_exact(env, params_.Value(), "params", P);
    ArrayArg<float> g = f32_exact(env, grads_.Value(), "grads", P);
    ArrayArg<float> o = f32_arg(env, opt_.Value(), "optState");
    if (o.length < opt_needed)
      throw_range(env, "a Float32Array of length ≥ " + std::to_string(opt_needed), "optState",
                  "a Float32Array of length " + std::to_string(o.length));
    return {p.data, g.data, o.data, o.length};
  }

  // inputs, targets, hidden, batch, steps at info[0..4]; the dropout mask stream at info[rng_index].
  ChunkArgs chunk_args(const Napi::CallbackInfo& info, std::size_t rng_index) {
    Napi::Env env = info.Env();
    ChunkArgs c{};
    c.inputs = i32_arg(env, info[0], "inputs");
    c.targets = i32_arg(env, info[1], "targets");
    c.hidden = f32_arg(env, info[2], "hidden");
    const double B = positive_int_arg(env, info[3], "batch");
    const double T = positive_int_arg(env, info[4], "steps");
    const double widest = model_.widest;
    if (B * T * widest > kMaxScratchElements)
      throw Napi::RangeError::New(env, "Expected batch × steps × max(hiddenSize, vocabSize) ≤ 536870912 but received " +
                                           number_to_string(env, B) + " × " + number_to_string(env, T) + " × " +
                                           number_to_string(env, widest));
    c.B = static_cast<int>(B);
    c.T = static_cast<int>(T);
    const std::size_t BT = static_cast<std::size_t>(c.B) * c.T;
    expect_length(env, c.inputs, BT, "Int32Array", "inputs");
    expect_length(env, c.targets, BT, "Int32Array", "targets");
    c.inputs.data = private_ids(ids_inputs_, c.inputs);
    c.targets.data = private_ids(ids_targets_, c.targets);
    check_ids(env, c.inputs, model_.V, "inputs");
    check_ids(env, c.targets, model_.V, "targets");
    expect_length(env, c.hidden, static_cast<std::size_t>(c.B) * model_.state_width, "Float32Array", "hidden");
    c.rng = {nullptr, 0};
    if (model_.dropout()) {
      const Napi::Value v = rng_index < info.Length() ? info[rng_index] : env.Undefined();
      bool ok = v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint32_array;
      if (ok) {
        c.rng = u32_arg(env, v, "rngState");
        ok = c.rng.length == 4;
      }
      if (!ok)
        throw Napi::TypeError::New(env, "Expected a Uint32Array of length 4 for rngState but received " + describe(v) +
                                            ". HINT: dropout > 0 needs a seeded mask stream");
    }
    return c;
  }

  // Forward + BPTT of one chunk on whichever model this session runs (no N-API: also called by the worker).
  double chunk_gradient(const kernels::Table& k, const Pointers& a, const std::int32_t* inputs,
                        const std::int32_t* targets, int B, int T, float* hidden, std::uint32_t* rng_state,
                        float scale) {
    if (model_.vanilla)
      return nn::rnn_chunk_gradient(k, model_.rnn, a.params, a.grads, inputs, targets, B, T, hidden, scale, ws_);
    Xoshiro128ss rng{{0, 0, 0, 0}};
    if (rng_state != nullptr) std::memcpy(rng.s, rng_state, sizeof rng.s);
    const double loss = nn::stack_chunk_gradient(k, *model_.stack, a.params, a.grads, inputs, targets, B, T, hidden,
                                                 rng_state != nullptr ? &rng : nullptr, scale, *sws_);
    if (rng_state != nullptr) std::memcpy(rng_state, rng.s, sizeof rng.s);
    return loss;
  }

  // Grow the chunk workspace for B × T (main thread), so that a worker's chunk_gradient never allocates.
  void reserve(int B, int T) {
    if (model_.vanilla)
      nn::rnn_reserve(model_.rnn, B, T, ws_);
    else
      nn::stack_reserve(*model_.stack, B, T, *sws_);
  }

  // A private copy of token ids, checked and used from there: a chunk writes caller-visible buffers (the carried
  // state, the gradients) while it still reads its ids, and a sample writes the state between prime tokens; any of
  // those may share memory with the ids, so the ids used must be the ones checked.
  static std::int32_t* private_ids(Scratch<std::int32_t>& dst, const ArrayArg<std::int32_t>& ids) {
    if (ids.length == 0) return ids.data;
    std::int32_t* p = dst.grow(ids.length);
    std::memcpy(p, ids.data, ids.length * sizeof(std::int32_t));
    return p;
  }

  static float reduction_scale(const std::string& reduction, const ChunkArgs& c) {
    return reduction == "mean" ? static_cast<float>(1.0 / (static_cast<double>(c.B) * c.T)) : 1.0f;
  }

  // kind at info[6], hyper Float64Array at info[7].
  optim::Hyper hyper_args(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::string kind = one_of_arg(env, info[6], "optimizer.kind", {"sgd", "adagrad", "rmsprop", "adam"});
    ArrayArg<double> h = typed_arg<double, napi_float64_array>(env, info[7], "hyper");
    if (h.length != kHyperCount)
      throw_range(env, "a Float64Array of length " + std::to_string(kHyperCount), "hyper",
                  "a Float64Array of length " + std::to_string(h.length));
    auto positive = [&](std::size_t i) {
      if (!std::isfinite(h.data[i]) || h.data[i] <= 0)
        throw_range(env, "a positive finite number", kHyperFields[i], number_to_string(env, h.data[i]));
      return h.data[i];
    };
    auto non_negative = [&](std::size_t i) {
      if (!std::isfinite(h.data[i]) || h.data[i] < 0)
        throw_range(env, "a non-negative finite number", kHyperFields[i], number_to_string(env, h.data[i]));
      return h.data[i];
    };
    auto unit = [&](std::size_t i) {
      if (!std::isfinite(h.data[i]) || h.data[i] < 0 || h.data[i] >= 1)
        throw_range(env, "a number in [0, 1)", kHyperFields[i], number_to_string(env, h.data[i]));
      return h.data[i];
    };
    optim::Hyper o{};
    o.kind = kind == "sgd"       ? optim::Kind::kSgd
             : kind == "adagrad" ? optim::Kind::kAdagrad
             : kind == "rmsprop" ? optim::Kind::kRmsprop
                                 : optim::Kind::kAdam;
    o.lr = positive(0);
    o.momentum = unit(1);
    o.beta1 = unit(2);
    o.beta2 = unit(3);
    o.eps = positive(4);
    o.weight_decay = non_negative(5);
    o.clip_value = non_negative(6);
    o.clip_norm = non_negative(7);
    const double step = h.data[8];
    if (!std::isfinite(step) || std::floor(step) != step || step < 1 || step > 9007199254740991.0)
      throw_range(env, "a positive integer", "step", number_to_string(env, step));
    o.step = step;
    return o;
  }

  Napi::Value Gradient(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      check_usable(env);
      expect_args(info, 6, "gradient");
      ChunkArgs c = chunk_args(info, 6);
      const std::string reduction = one_of_arg(env, info[5], "reduction", {"sum", "mean"});
      Pointers a = arenas(env, 0);
      const double loss = chunk_gradient(kernels::active(), a, c.inputs.data, c.targets.data, c.B, c.T, c.hidden.data,
                                         c.rng.data, reduction_scale(reduction, c));
      return Napi::Number::New(env, loss / (static_cast<double>(c.B) * c.T));
    });
  }

  static Napi::Object chunk_result(Napi::Env env, double loss, double grad_norm) {
    Napi::Object r = Napi::Object::New(env);
    r.Set("loss", Napi::Number::New(env, loss));
    r.Set("gradNorm", Napi::Number::New(env, grad_norm));
    return r;
  }

  Napi::Value TrainChunk(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      check_usable(env);
      expect_args(info, 8, "trainChunk");
      ChunkArgs c = chunk_args(info, 8);
      const std::string reduction = one_of_arg(env, info[5], "reduction", {"sum", "mean"});
      const optim::Hyper h = hyper_args(info);
      Pointers a = arenas(env, optim::slots(h.kind) * model_.P);
      const double loss_sum = chunk_gradient(kernels::active(), a, c.inputs.data, c.targets.data, c.B, c.T,
                                             c.hidden.data, c.rng.data, reduction_scale(reduction, c));
      const double grad_norm = optim::clip_and_update(h, a.params, a.grads, a.opt, model_.P);
      return chunk_result(env, loss_sum / (static_cast<double>(c.B) * c.T), grad_norm);
    });
  }

  Napi::Value TrainChunkAsync(const Napi::CallbackInfo& info);

  Napi::Value Evaluate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      check_usable(env);
      expect_args(info, 1, "evaluate");
      ArrayArg<std::int32_t> ids = i32_arg(env, info[0], "ids");
      const float* h0 = nullptr;
      if (info.Length() > 1 && !info[1].IsUndefined())
        h0 = f32_exact(env, info[1], "hidden", model_.state_width).data;
      check_ids(env, ids, model_.V, "ids");
      if (ids.length < 2)
        throw Napi::RangeError::New(env, "Expected at least 2 tokens for ids but received an Int32Array of length " +
                                             std::to_string(ids.length));
      Pointers a = arenas(env, 0);
      const kernels::Table& k = kernels::active();
      const double total =
          model_.vanilla ? nn::rnn_evaluate(k, model_.rnn, a.params, ids.data, ids.length, h0, ws_)
                         : nn::stack_evaluate(k, *model_.stack, a.params, ids.data, ids.length, h0, *sws_);
      Napi::Object r = Napi::Object::New(env);
      r.Set("totalNats", Napi::Number::New(env, total));
      r.Set("count", Napi::Number::New(env, static_cast<double>(ids.length - 1)));
      return r;
    });
  }

  double temperature_arg(Napi::Env env, Napi::Value v) {
    const double t = number_arg(env, v, "a positive finite number", "temperature");
    if (!std::isfinite(t) || t <= 0) throw_range(env, "a positive finite number", "temperature", describe(v));
    return t;
  }

  Napi::Value Step(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      check_usable(env);
      expect_args(info, 4, "step");
      ArrayArg<float> hidden = f32_exact(env, info[0], "hidden", model_.state_width);
      const std::string what = "a token id in [0, " + std::to_string(model_.V - 1) + "]";
      const double token = int_arg(env, info[1], what, "token", 0, static_cast<double>(model_.V - 1));
      ArrayArg<float> probs = f32_exact(env, info[2], "probs", model_.V);
      const double temperature = temperature_arg(env, info[3]);
      Pointers a = arenas(env, 0);
      const kernels::Table& k = kernels::active();
      if (model_.vanilla)
        nn::rnn_step(k, model_.rnn, a.params, hidden.data, static_cast<int>(token), probs.data, temperature, ws_);
      else
        nn::stack_step(k, *model_.stack, a.params, hidden.data, static_cast<int>(token), probs.data, temperature,
                       *sws_);
      return env.Undefined();
    });
  }

  Napi::Value Sample(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      check_usable(env);
      expect_args(info, 6, "sample");
      ArrayArg<float> hidden = f32_exact(env, info[0], "hidden", model_.state_width);
      ArrayArg<std::int32_t> prime = i32_arg(env, info[1], "prime");
      prime.data = private_ids(ids_inputs_, prime);
      check_ids(env, prime, model_.V, "prime");
      if (prime.length < 1)
        throw Napi::RangeError::New(env, "Expected at least 1 token for prime but received an Int32Array of length 0");
      const double length = int_arg(env, info[2], "an integer in [0, 1073741824]", "length", 0, kMaxSampleLength);
      if (!info[4].IsBoolean()) throw_type(env, "a boolean", "greedy", info[4]);
      const bool greedy = info[4].As<Napi::Boolean>().Value();
      const double temperature = greedy ? 1.0 : temperature_arg(env, info[3]);
      ArrayArg<std::uint32_t> rng_state = u32_arg(env, info[5], "rngState");
      if (rng_state.length != 4)
        throw Napi::TypeError::New(env, "Expected a Uint32Array of length 4 for rngState but received " + describe(info[5]));
      // Optional generation options (src/generate/transform.ts), positional: banned ids, repetition penalty θ,
      // its window, top-k, top-p. Absent = the plain draw.
      nn::TransformSpec spec;
      std::vector<std::int32_t> banned;
      if (info.Length() > 6) {
        expect_args(info, 11, "sample with generation options");
        ArrayArg<std::int32_t> b = i32_arg(env, info[6], "banned");
        check_ids(env, b, model_.V, "banned");
        banned.assign(b.data, b.data + b.length);  // a private copy: nothing below re-reads the caller's buffer
        spec.banned = banned.data();
        spec.n_banned = banned.size();
        const double theta = number_arg(env, info[7], "a finite number ≥ 1", "repetitionPenalty");
        if (!std::isfinite(theta) || theta < 1) throw_range(env, "a finite number ≥ 1", "repetitionPenalty", describe(info[7]));
        spec.repetition_penalty = theta;
        spec.repetition_window = static_cast<std::size_t>(
            int_arg(env, info[8], "an integer in [1, 1073741824]", "repetitionWindow", 1, kMaxSampleLength));
        spec.top_k = static_cast<int>(int_arg(env, info[9], "an integer in [0, 2147483647]", "topK", 0, 2147483647.0));
        const double top_p = number_arg(env, info[10], "a number in (0, 1]", "topP");
        if (!(top_p > 0 && top_p <= 1)) throw_range(env, "a number in (0, 1]", "topP", describe(info[10]));
        spec.top_p = top_p;
      }
      nn::TokenPicker picker(spec, static_cast<int>(model_.V));
      // Allocating the result may run the GC but no user code; re-read every buffer afterwards.
      Napi::Int32Array out = Napi::Int32Array::New(env, static_cast<std::size_t>(length));
      hidden = f32_exact(env, info[0], "hidden", model_.state_width);
      rng_state = u32_arg(env, info[5], "rngState");
      Pointers a = arenas(env, 0);
      float* probs = probs_.grow(model_.V);
      Xoshiro128ss rng{{rng_state.data[0], rng_state.data[1], rng_state.data[2], rng_state.data[3]}};
      const kernels::Table& k = kernels::active();
      if (model_.vanilla)
        nn::rnn_sample(k, model_.rnn, a.params, hidden.data, prime.data, prime.length, out.Data(),
                       static_cast<std::size_t>(length), temperature, greedy, rng, probs, ws_, picker);
      else
        nn::stack_sample(k, *model_.stack, a.params, hidden.data, prime.data, prime.length, out.Data(),
                         static_cast<std::size_t>(length), temperature, greedy, rng, probs, *sws_, picker);
      std::memcpy(rng_state.data, rng.s, sizeof rng.s);
      return out;
    });
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      if (busy_) throw Napi::Error::New(env, kBusy);
      if (!disposed_) {
        disposed_ = true;
        params_.Reset();
        grads_.Reset();
        opt_.Reset();
      }
      return env.Undefined();
    });
  }

  Model model_;
  Napi::Reference<Napi::Float32Array> params_, grads_, opt_;
  bool disposed_ = false;
  bool busy_ = false;
  nn::RnnWorkspace ws_;                          // vanilla model
  std::unique_ptr<nn::StackWorkspace> sws_;      // every other model
  Scratch<float> probs_;
  Scratch<std::int32_t> ids_inputs_, ids_targets_;  // private_ids copies (synchronous calls)
  // Private copies of an async chunk's inputs, so user code cannot detach them mid-run.
  Scratch<std::int32_t> async_inputs_, async_targets_;
  Scratch<float> async_hidden_;
  std::uint32_t async_rng_[4] = {0, 0, 0, 0};
};

// trainChunkAsync: validation, pointer capture and input copies on the main thread; the math in Execute
// (no N-API there); the carried hidden state is written back and the promise settled in OnOK / OnError.
class TrainWorker : public Napi::AsyncWorker {
 public:
  TrainWorker(Napi::Env env, Session* session, Napi::Object self, Napi::Value hidden, Napi::Value rng,
              const ChunkArgs& c, float scale, const optim::Hyper& hyper, const Pointers& arenas)
      : Napi::AsyncWorker(env, "charrnn.trainChunkAsync"),
        deferred_(Napi::Promise::Deferred::New(env)),
        session_(session),
        self_(Napi::Persistent(self)),
        hidden_(Napi::Persistent(hidden.As<Napi::Float32Array>())),
        kernels_(&kernels::active()),
        B_(c.B),
        T_(c.T),
        scale_(scale),
        hyper_(hyper),
        arenas_(arenas) {
    const std::size_t BT = static_cast<std::size_t>(c.B) * c.T;
    const std::size_t BH = static_cast<std::size_t>(c.B) * session->model_.state_width;
    inputs_ = session->async_inputs_.grow(BT);
    targets_ = session->async_targets_.grow(BT);
    hidden_copy_ = session->async_hidden_.grow(BH);
    std::memcpy(inputs_, c.inputs.data, BT * sizeof(std::int32_t));
    std::memcpy(targets_, c.targets.data, BT * sizeof(std::int32_t));
    std::memcpy(hidden_copy_, c.hidden.data, BH * sizeof(float));
    hidden_length_ = BH;
    if (c.rng.data != nullptr) {  // the dropout mask stream: copied in, advanced by Execute, written back in OnOK
      rng_ = Napi::Persistent(rng.As<Napi::Uint32Array>());
      std::memcpy(session->async_rng_, c.rng.data, sizeof session->async_rng_);
      rng_copy_ = session->async_rng_;
    }
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      loss_sum_ =
          session_->chunk_gradient(*kernels_, arenas_, inputs_, targets_, B_, T_, hidden_copy_, rng_copy_, scale_);
      grad_norm_ = optim::clip_and_update(hyper_, arenas_.params, arenas_.grads, arenas_.opt, session_->model_.P);
    } catch (const std::bad_alloc&) {
      SetError("charrnn: out of memory while allocating native scratch. HINT: use a smaller batch × steps");
    } catch (const std::exception& e) {
      SetError(std::string("charrnn: native error: ") + e.what());
    } catch (...) {
      SetError("charrnn: unknown native error");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    finish();
    try {
      Napi::Float32Array hidden = hidden_.Value();
      Napi::Value buffer = hidden.ArrayBuffer();
      if ((buffer.IsArrayBuffer() && buffer.As<Napi::ArrayBuffer>().IsDetached()) || hidden.ElementLength() != hidden_length_) {
        deferred_.Reject(Napi::Error::New(env, "trainChunkAsync finished but its hidden Float32Array was detached or resized "
                                               "while it ran; the carried state could not be written back")
                             .Value());
        return;
      }
      std::memcpy(hidden.Data(), hidden_copy_, hidden_length_ * sizeof(float));
      if (rng_copy_ != nullptr) {
        Napi::Uint32Array rng = rng_.Value();
        Napi::Value rbuf = rng.ArrayBuffer();
        if ((rbuf.IsArrayBuffer() && rbuf.As<Napi::ArrayBuffer>().IsDetached()) || rng.ElementLength() != 4) {
          deferred_.Reject(Napi::Error::New(env,
                                            "trainChunkAsync finished but its rngState Uint32Array was detached or "
                                            "resized while it ran; the advanced mask stream could not be written back")
                               .Value());
          return;
        }
        std::memcpy(rng.Data(), rng_copy_, 4 * sizeof(std::uint32_t));
      }
      deferred_.Resolve(Session::chunk_result(env, loss_sum_ / (static_cast<double>(B_) * T_), grad_norm_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (...) {
      deferred_.Reject(Napi::Error::New(env, "charrnn: unknown native error").Value());
    }
  }

  void OnError(const Napi::Error& e) override {
    finish();
    deferred_.Reject(e.Value());
  }

 private:
  void finish() {
    if (!finished_) {
      finished_ = true;
      session_->FinishAsync();
    }
  }

  Napi::Promise::Deferred deferred_;
  Session* session_;
  Napi::ObjectReference self_;  // keeps the session alive while the worker runs
  Napi::Reference<Napi::Float32Array> hidden_;
  Napi::Reference<Napi::Uint32Array> rng_;
  std::uint32_t* rng_copy_ = nullptr;  // null when the model has no dropout
  const kernels::Table* kernels_;
  int B_, T_;
  float scale_;
  optim::Hyper hyper_;
  Pointers arenas_;
  std::int32_t* inputs_ = nullptr;
  std::int32_t* targets_ = nullptr;
  float* hidden_copy_ = nullptr;
  std::size_t hidden_length_ = 0;
  double loss_sum_ = 0, grad_norm_ = 0;
  bool finished_ = false;
};

Napi::Value Session::TrainChunkAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_usable(env);
    expect_args(info, 8, "trainChunkAsync");
    ChunkArgs c = chunk_args(info, 8);
    const std::string reduction = one_of_arg(env, info[5], "reduction", {"sum", "mean"});
    const optim::Hyper h = hyper_args(info);
    Pointers a = arenas(env, optim::slots(h.kind) * model_.P);
    // Grow the workspace here, on the main thread, so Execute never allocates (and cannot fail for memory).
    reserve(c.B, c.T);
    auto* worker = new TrainWorker(env, this, info.This().As<Napi::Object>(), info[2],
                                   c.rng.data != nullptr ? info[8] : env.Undefined(), c, reduction_scale(reduction, c),
                                   h, a);
    Napi::Promise promise = worker->Promise();
    busy_ = true;
    g_async_in_flight.fetch_add(1);
    try {
      worker->Queue();
    } catch (...) {
      FinishAsync();
      delete worker;
      throw;
    }
    return promise;
  });
}

// ---------------------------------------------------------------------------------------------
// Module functions

Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    int n = 0;
    const char* const* names = kernels::supported_isas(&n);
    Napi::Array supported = Napi::Array::New(env, static_cast<std::size_t>(n));
    for (int i = 0; i < n; i++) supported.Set(static_cast<std::uint32_t>(i), Napi::String::New(env, names[i]));
    const char* forced = std::getenv("CHARRNN_SIMD");
    Napi::Object r = Napi::Object::New(env);
    r.Set("isa", Napi::String::New(env, kernels::active().isa));
    r.Set("supported", supported);
    r.Set("simdForced", Napi::Boolean::New(env, g_simd_forced.load() || (forced != nullptr && forced[0] != '\0')));
    r.Set("threads", Napi::Number::New(env, par::threads()));
    return r;
  });
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    int n = 0;
    const char* const* names = kernels::supported_isas(&n);
    std::string what = "one of ";
    for (int i = 0; i < n; i++) what += (i ? ", '" : "'") + std::string(names[i]) + "'";
    if (info.Length() < 1 || !info[0].IsString()) throw_type(env, what, "isa", info[0]);
    if (g_async_in_flight.load() > 0)
      throw Napi::Error::New(env, "cannot change the kernel path while an asynchronous trainChunk is running; await it first");
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    if (!kernels::set_isa(name.c_str())) throw_range(env, what, "isa", describe(info[0]));
    g_simd_forced.store(true);
    return Napi::String::New(env, kernels::active().isa);
  });
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    expect_args(info, 1, "setThreads");
    const std::string what = "an integer in [1, " + std::to_string(par::kMaxThreads) + "]";
    const double n = int_arg(env, info[0], what, "threads", 1, par::kMaxThreads);
    if (g_async_in_flight.load() > 0)
      throw Napi::Error::New(env, "cannot change the thread count while an asynchronous trainChunk is running; await it first");
    par::set_threads(static_cast<int>(n));
    return Napi::Number::New(env, par::threads());
  });
}

// The arena layout the native side derives for a config (test/parity checks it against src/model/layout.ts).
Napi::Value Layout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    expect_args(info, 6, "layout");
    const Model m = model_args(info);
    Napi::Array tensors = Napi::Array::New(env);
    auto add = [&](const std::string& name, std::size_t offset, std::size_t size) {
      Napi::Object t = Napi::Object::New(env);
      t.Set("name", Napi::String::New(env, name));
      t.Set("offset", Napi::Number::New(env, static_cast<double>(offset)));
      t.Set("size", Napi::Number::New(env, static_cast<double>(size)));
      tensors.Set(tensors.Length(), t);
    };
    if (m.vanilla) {
      const nn::RnnLayout& l = m.rnn;
      add("Wxh", l.Wxh, l.H * l.V);
      add("Whh", l.Whh, l.H * l.H);
      add("bh", l.bh, l.H);
      add("Why", l.Why, l.V * l.H);
      add("by", l.by, l.V);
    } else {
      for (const nn::StackLayout::Tensor& t : m.stack->tensors()) add(t.name, t.offset, t.size);
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("tensors", tensors);
    r.Set("size", Napi::Number::New(env, static_cast<double>(m.P)));
    r.Set("stateSize", Napi::Number::New(env, static_cast<double>(m.state_width)));
    return r;
  });
}

// ---------------------------------------------------------------------------------------------
// Drop-in functions (src/dropin.ts, src/kernels.ts): synchronous calls over caller-owned Float32Arrays.
// They run to completion on the calling thread, so no buffer can be detached or transferred mid-call and
// nothing needs pinning. Every length, shape, id and overlap is checked before a pointer is dereferenced.
//   lossFun(inputs, targets, hprev, Wxh, Whh, Why, bh, by, dWxh, dWhh, dWhy, dbh, dby, hOut): number
//   gemm(transA, transB, M, N, K, A, lda, B, ldb, C, ldc, accumulate): undefined
//   gemv(trans, M, N, A, lda, x, y, accumulate): undefined
//   axpy(alpha, x, y): undefined        dot(x, y): number

constexpr double kMaxDim = 2147483647.0;  // kernel sizes and strides are int

// A byte range of one typed-array argument, for overlap checks (compared as integers, never as pointers).
struct Span {
  std::uintptr_t begin, end;
  const char* name;
};

template <typename Elem>
Span span_of(const ArrayArg<Elem>& a, const char* name) {
  const std::uintptr_t b = reinterpret_cast<std::uintptr_t>(a.data);
  return {b, b + a.length * sizeof(Elem), name};
}

bool spans_overlap(const Span& a, const Span& b) { return a.begin < b.end && b.begin < a.end; }

// `out` is written: it must share no byte with `other`.
void expect_disjoint(Napi::Env env, const Span& out, const Span& other, std::size_t out_length) {
  if (spans_overlap(out, other))
    throw Napi::RangeError::New(env, std::string("Expected a Float32Array that shares no memory with ") + other.name +
                                         " for " + out.name + " but received a Float32Array of length " +
                                         std::to_string(out_length) + " overlapping it");
}

// double → float without the undefined behaviour of an out-of-range conversion (NaN passes through).
float to_f32(double x) {
  if (x > 3.4028234663852886e38) return HUGE_VALF;
  if (x < -3.4028234663852886e38) return -HUGE_VALF;
  return static_cast<float>(x);
}

bool bool_arg(Napi::Env env, Napi::Value v, const char* name) {
  if (!v.IsBoolean()) throw_type(env, "a boolean", name, v);
  return v.As<Napi::Boolean>().Value();
}

std::size_t dim_arg(Napi::Env env, Napi::Value v, const char* name) {
  return static_cast<std::size_t>(int_arg(env, v, "an integer in [0, 2147483647]", name, 0, kMaxDim));
}

// A row-major matrix argument of rows × cols with row stride `ld`: checks ld ≥ cols and the length it implies.
ArrayArg<float> matrix_arg(Napi::Env env, Napi::Value v, const char* name, std::size_t rows, std::size_t cols,
                           std::size_t ld, const char* ld_name) {
  ArrayArg<float> a = f32_arg(env, v, name);
  if (ld < cols)
    throw Napi::RangeError::New(env, std::string("Expected an integer ≥ ") + std::to_string(cols) + " (the row width of " +
                                         name + ") for " + ld_name + " but received " + std::to_string(ld));
  const std::size_t need = rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;  // < 2^62: no overflow
  if (a.length < need)
    throw_range(env,
                "a Float32Array of length ≥ " + std::to_string(need) + " (" + std::to_string(rows) + " rows × " +
                    std::to_string(cols) + " columns, " + ld_name + " " + std::to_string(ld) + ")",
                name, "a Float32Array of length " + std::to_string(a.length));
  return a;
}

ArrayArg<float> vector_arg(Napi::Env env, Napi::Value v, const char* name, std::size_t need) {
  ArrayArg<float> a = f32_arg(env, v, name);
  if (a.length < need)
    throw_range(env, "a Float32Array of length ≥ " + std::to_string(need), name,
                "a Float32Array of length " + std::to_string(a.length));
  return a;
}

void zero_rows(float* C, std::size_t rows, std::size_t cols, std::size_t ld) {
  for (std::size_t i = 0; i < rows; i++) std::memset(C + i * ld, 0, cols * sizeof(float));
}

// One workspace per thread (each Node worker thread has its own); calls are synchronous, so never shared.
nn::LossFunWorkspace& lossfun_workspace() {
  static thread_local nn::LossFunWorkspace ws;
  return ws;
}

Napi::Value LossFun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    expect_args(info, 14, "lossFun");
    ArrayArg<std::int32_t> inputs = i32_arg(env, info[0], "inputs");
    ArrayArg<std::int32_t> targets = i32_arg(env, info[1], "targets");
    ArrayArg<float> hprev = f32_arg(env, info[2], "hprev");
    ArrayArg<float> Wxh = f32_arg(env, info[3], "Wxh");
    ArrayArg<float> Whh = f32_arg(env, info[4], "Whh");
    ArrayArg<float> Why = f32_arg(env, info[5], "Why");
    ArrayArg<float> bh = f32_arg(env, info[6], "bh");
    ArrayArg<float> by = f32_arg(env, info[7], "by");
    ArrayArg<float> dWxh = f32_arg(env, info[8], "dWxh");
    ArrayArg<float> dWhh = f32_arg(env, info[9], "dWhh");
    ArrayArg<float> dWhy = f32_arg(env, info[10], "dWhy");
    ArrayArg<float> dbh = f32_arg(env, info[11], "dbh");
    ArrayArg<float> dby = f32_arg(env, info[12], "dby");
    ArrayArg<float> hout = f32_arg(env, info[13], "hOut");
    // H and V come from the biases; every other tensor must agree with them.
    if (bh.length < 1 || bh.length > static_cast<std::size_t>(kMaxHidden))
      throw_range(env, "a Float32Array of length in [1, 16384] (H)", "bh", "a Float32Array of length " + std::to_string(bh.length));
    if (by.length < 2 || by.length > static_cast<std::size_t>(kMaxVocab))
      throw_range(env, "a Float32Array of length in [2, 1048576] (V)", "by", "a Float32Array of length " + std::to_string(by.length));
    const std::size_t H = bh.length, V = by.length;
    // "Expected a Float32Array of length 35 ([H, V] = [5, 7]) for Wxh but received a Float32Array of length 34"
    auto matrix = [&](const ArrayArg<float>& a, std::size_t rows, std::size_t cols, const char* shape, const char* name) {
      if (a.length != rows * cols)
        throw_range(env,
                    "a Float32Array of length " + std::to_string(rows * cols) + " (" + shape + " = [" +
                        std::to_string(rows) + ", " + std::to_string(cols) + "])",
                    name, "a Float32Array of length " + std::to_string(a.length));
    };
    auto vector = [&](const ArrayArg<float>& a, std::size_t n, const char* shape, const char* name) {
      if (a.length != n)
        throw_range(env, "a Float32Array of length " + std::to_string(n) + " (" + shape + " = [" + std::to_string(n) + "])",
                    name, "a Float32Array of length " + std::to_string(a.length));
    };
    matrix(Wxh, H, V, "[H, V]", "Wxh");
    matrix(Whh, H, H, "[H, H]", "Whh");
    matrix(Why, V, H, "[V, H]", "Why");
    vector(hprev, H, "[H]", "hprev");
    matrix(dWxh, H, V, "[H, V]", "dWxh");
    matrix(dWhh, H, H, "[H, H]", "dWhh");
    matrix(dWhy, V, H, "[V, H]", "dWhy");
    vector(dbh, H, "[H]", "dbh");
    vector(dby, V, "[V]", "dby");
    vector(hout, H, "[H]", "hOut");
    const std::size_t T = inputs.length;
    if (T < 1) throw Napi::RangeError::New(env, "Expected at least 1 token for inputs but received an Int32Array of length 0");
    expect_length(env, targets, T, "Int32Array", "targets");
    const double widest = static_cast<double>(H > V ? H : V);
    if (static_cast<double>(T) * widest > kMaxScratchElements)
      throw Napi::RangeError::New(env, "Expected inputs.length × max(H, V) ≤ 536870912 but received " + std::to_string(T) +
                                           " × " + std::to_string(static_cast<std::size_t>(widest)));
    check_ids(env, inputs, V, "inputs");
    check_ids(env, targets, V, "targets");
    // Outputs are written: none may overlap an input or another output (hOut may be hprev itself).
    const Span outs[] = {span_of(dWxh, "dWxh"), span_of(dWhh, "dWhh"), span_of(dWhy, "dWhy"),
                         span_of(dbh, "dbh"),   span_of(dby, "dby"),   span_of(hout, "hOut")};
    const std::size_t out_lengths[] = {dWxh.length, dWhh.length, dWhy.length, dbh.length, dby.length, hout.length};
    const Span ins[] = {span_of(inputs, "inputs"), span_of(targets, "targets"), span_of(hprev, "hprev"),
                        span_of(Wxh, "Wxh"),       span_of(Whh, "Whh"),         span_of(Why, "Why"),
                        span_of(bh, "bh"),         span_of(by, "by")};
    const Span& hprev_span = ins[2];
    for (std::size_t i = 0; i < 6; i++) {
      for (std::size_t j = 0; j < i; j++) expect_disjoint(env, outs[i], outs[j], out_lengths[i]);
      for (const Span& in : ins) {
        if (i == 5 && &in == &hprev_span && in.begin == outs[i].begin && in.end == outs[i].end) continue;
        expect_disjoint(env, outs[i], in, out_lengths[i]);
      }
    }
    const nn::SplitParams p{Wxh.data, Whh.data, bh.data, Why.data, by.data};
    const nn::SplitGrads g{dWxh.data, dWhh.data, dbh.data, dWhy.data, dby.data};
    const double loss = nn::rnn_loss_fun(kernels::active(), H, V, p, inputs.data, targets.data, static_cast<int>(T),
                                         hprev.data, g, hout.data, lossfun_workspace());
    return Napi::Number::New(env, loss);
  });
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    expect_args(info, 12, "gemm");
    const bool ta = bool_arg(env, info[0], "transA");
    const bool tb = bool_arg(env, info[1], "transB");
    if (ta && tb)
      throw Napi::RangeError::New(env, "gemm with transA and transB both true (C = Aᵀ·Bᵀ) is not supported. HINT: compute "
                                       "Cᵀ = B·A with gemm(false, false, N, M, K, B, A, Cᵀ)");
    const std::size_t M = dim_arg(env, info[2], "M"), N = dim_arg(env, info[3], "N"), K = dim_arg(env, info[4], "K");
    const std::size_t lda = dim_arg(env, info[6], "lda"), ldb = dim_arg(env, info[8], "ldb"),
                      ldc = dim_arg(env, info[10], "ldc");
    const bool accumulate = bool_arg(env, info[11], "accumulate");
    ArrayArg<float> A = ta ? matrix_arg(env, info[5], "A", K, M, lda, "lda") : matrix_arg(env, info[5], "A", M, K, lda, "lda");
    ArrayArg<float> B = tb ? matrix_arg(env, info[7], "B", N, K, ldb, "ldb") : matrix_arg(env, info[7], "B", K, N, ldb, "ldb");
    ArrayArg<float> C = matrix_arg(env, info[9], "C", M, N, ldc, "ldc");
    expect_disjoint(env, span_of(C, "C"), span_of(A, "A"), C.length);
    expect_disjoint(env, span_of(C, "C"), span_of(B, "B"), C.length);
    if (M == 0 || N == 0) return env.Undefined();
    if (K == 0) {
      if (!accumulate) zero_rows(C.data, M, N, ldc);
      return env.Undefined();
    }
    const kernels::Table& k = kernels::active();
    const kernels::GemmFn fn = ta ? k.gemm_tn : tb ? k.gemm_nt : k.gemm_nn;
    fn(static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), A.data, static_cast<int>(lda), B.data,
       static_cast<int>(ldb), C.data, static_cast<int>(ldc), accumulate);
    return env.Undefined();
  });
}

Napi::Value Gemv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    expect_args(info, 8, "gemv");
    const bool trans = bool_arg(env, info[0], "trans");
    const std::size_t M = dim_arg(env, info[1], "M"), N = dim_arg(env, info[2], "N");
    const std::size_t lda = dim_arg(env, info[4], "lda");
    const bool accumulate = bool_arg(env, info[7], "accumulate");
    ArrayArg<float> A = matrix_arg(env, info[3], "A", M, N, lda, "lda");
    const std::size_t n_in = trans ? M : N, n_out = trans ? N : M;
    ArrayArg<float> x = vector_arg(env, info[5], "x", n_in);
    ArrayArg<float> y = vector_arg(env, info[6], "y", n_out);
    expect_disjoint(env, span_of(y, "y"), span_of(A, "A"), y.length);
    expect_disjoint(env, span_of(y, "y"), span_of(x, "x"), y.length);
    if (n_out == 0) return env.Undefined();
    if (n_in == 0) {
      if (!accumulate) std::memset(y.data, 0, n_out * sizeof(float));
      return env.Undefined();
    }
    const kernels::Table& k = kernels::active();
    (trans ? k.gemv_t : k.gemv_n)(static_cast<int>(M), static_cast<int>(N), A.data, static_cast<int>(lda), x.data,
                                  y.data, accumulate);
    return env.Undefined();
  });
}

Napi::Value Axpy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    expect_args(info, 3, "axpy");
    const double alpha = number_arg(env, info[0], "a number", "alpha");
    ArrayArg<float> x = f32_arg(env, info[1], "x");
    ArrayArg<float> y = f32_exact(env, info[2], "y", x.length);
    expect_disjoint(env, span_of(y, "y"), span_of(x, "x"), y.length);
    if (x.length > 0) kernels::active().axpy(x.length, to_f32(alpha), x.data, y.data);
    return env.Undefined();
  });
}

Napi::Value Dot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    expect_args(info, 2, "dot");
    ArrayArg<float> x = f32_arg(env, info[0], "x");
    ArrayArg<float> y = f32_exact(env, info[1], "y", x.length);
    const float r = x.length > 0 ? kernels::active().dot(x.length, x.data, y.data) : 0.0f;
    return Napi::Number::New(env, r);
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Array fields = Napi::Array::New(env, kHyperCount);
  for (std::size_t i = 0; i < kHyperCount; i++) fields.Set(static_cast<std::uint32_t>(i), Napi::String::New(env, kHyperFields[i]));
  exports.Set("abi", Napi::Number::New(env, kAbi));
  exports.Set("hyperFields", fields);
  exports.Set("capabilities", Napi::Function::New<Capabilities>(env, "capabilities"));
  exports.Set("setIsa", Napi::Function::New<SetIsa>(env, "setIsa"));
  exports.Set("setThreads", Napi::Function::New<SetThreads>(env, "setThreads"));
  exports.Set("layout", Napi::Function::New<Layout>(env, "layout"));
  exports.Set("Session", Session::Define(env));
  exports.Set("lossFun", Napi::Function::New<LossFun>(env, "lossFun"));
  exports.Set("gemm", Napi::Function::New<Gemm>(env, "gemm"));
  exports.Set("gemv", Napi::Function::New<Gemv>(env, "gemv"));
  exports.Set("axpy", Napi::Function::New<Axpy>(env, "axpy"));
  exports.Set("dot", Napi::Function::New<Dot>(env, "dot"));
  return exports;
}

}  // namespace
}  // namespace charrnn

static Napi::Object InitCharrnn(Napi::Env env, Napi::Object exports) { return charrnn::Init(env, exports); }

NODE_API_MODULE(charrnn, InitCharrnn)
