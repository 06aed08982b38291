// The addon's module: registration of every export, and the process-wide functions (capabilities, setIsa,
// setThreads, layout). The binding folder is the only place that includes napi.h; the math lives in nn/, optim/
// and kernels/ over raw pointers. Every entry point re-validates what it dereferences and turns any C++ exception
// into a JS error, so no call from JS can crash the process.
//
// Exports (typed in src/backends/native.ts as NativeBinding):
//   abi: number                          bumped whenever this surface changes incompatibly
//   hyperFields: string[]                order of the Float64Array `hyper` argument of trainChunk
//   limits: { maxHidden, maxVocab, maxLayers, maxEmbedding, maxScratchElements, maxSampleLength }   (frozen)
//   capabilities(): { isa, supported, simdForced, threads }
//   setIsa(name): string                 force a kernel path ('avx512' | 'avx2' | 'scalar'); returns the active isa
//   setThreads(n): number                resize the thread pool; returns the new count
//   layout(cell, activation, vocabSize, hiddenSizes, embeddingSize, dropout):
//       { tensors: [{ name, offset, size }], size, stateSize }   (stateSize: of one stream)
//   Session                              session.h
//   SeqSession                           seq_session.h (classify / tag models)
//   lossFun, gemm, gemv, axpy, dot       dropin.h
#include <napi.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "args.h"
#include "dropin.h"
#include "kernels/kernels.h"
#include "limits.h"
#include "model_config.h"
#include "seq_session.h"
#include "session.h"
#include "util/threadpool.h"

namespace charrnn {
namespace binding {
namespace {

constexpr int kAbi = 5;

std::atomic<bool> g_simd_forced{false};

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
      throw Napi::Error::New(env,
                             "cannot change the kernel path while an asynchronous call (trainChunkAsync or "
                             "evaluateAsync) is running; await it first");
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
    const double n = int_in_arg(env, info[0], "threads", 1, par::kMaxThreads);
    if (g_async_in_flight.load() > 0)
      throw Napi::Error::New(env,
                             "cannot change the thread count while an asynchronous call (trainChunkAsync or "
                             "evaluateAsync) is running; await it first");
    par::set_threads(static_cast<int>(n));
    return Napi::Number::New(env, par::threads());
  });
}

// The arena layout the native side derives for a config (test/parity checks it against src/model/layout.ts).
Napi::Value Layout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    expect_args(info, 6, "layout");
    const std::unique_ptr<nn::Model> m = nn::Model::make(model_config_arg(info));
    Napi::Array tensors = Napi::Array::New(env);
    for (const nn::Model::Tensor& t : m->tensors()) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", Napi::String::New(env, t.name));
      o.Set("offset", Napi::Number::New(env, static_cast<double>(t.offset)));
      o.Set("size", Napi::Number::New(env, static_cast<double>(t.size)));
      tensors.Set(tensors.Length(), o);
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("tensors", tensors);
    r.Set("size", Napi::Number::New(env, static_cast<double>(m->param_count())));
    r.Set("stateSize", Napi::Number::New(env, static_cast<double>(m->state_width())));
    return r;
  });
}

// The bounds of limits.h, frozen, for test/unit/limits.test.ts to compare with the TS facade's.
Napi::Object Limits(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  auto set = [&](const char* name, std::int64_t v) { o.Set(name, Napi::Number::New(env, static_cast<double>(v))); };
  set("maxHidden", kMaxHidden);
  set("maxVocab", kMaxVocab);
  set("maxLayers", kMaxLayers);
  set("maxEmbedding", kMaxEmbedding);
  set("maxClasses", kMaxClasses);
  set("maxScratchElements", kMaxScratchElements);
  set("maxSampleLength", kMaxSampleLength);
  o.Freeze();
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Array fields = Napi::Array::New(env, kHyperCount);
  for (std::size_t i = 0; i < kHyperCount; i++)
    fields.Set(static_cast<std::uint32_t>(i), Napi::String::New(env, kHyperFields[i]));
  exports.Set("abi", Napi::Number::New(env, kAbi));
  exports.Set("hyperFields", fields);
  exports.Set("limits", Limits(env));
  exports.Set("capabilities", Napi::Function::New<Capabilities>(env, "capabilities"));
  exports.Set("setIsa", Napi::Function::New<SetIsa>(env, "setIsa"));
  exports.Set("setThreads", Napi::Function::New<SetThreads>(env, "setThreads"));
  exports.Set("layout", Napi::Function::New<Layout>(env, "layout"));
  exports.Set("Session", Session::Define(env));
  exports.Set("SeqSession", SeqSession::Define(env));
  register_dropin(env, exports);
  return exports;
}

}  // namespace
}  // namespace binding
}  // namespace charrnn

static Napi::Object InitCharrnn(Napi::Env env, Napi::Object exports) { return charrnn::binding::Init(env, exports); }

NODE_API_MODULE(charrnn, InitCharrnn)
