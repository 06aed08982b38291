// The Session ObjectWrap's synchronous methods (see session.h); trainChunkAsync is in train_worker.cc.
#include "session.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/kernels.h"
#include "limits.h"
#include "model_config.h"
#include "session_worker.h"

namespace charrnn {
namespace binding {

std::atomic<int> g_async_in_flight{0};

Napi::Function Session::Define(Napi::Env env) {
  return DefineClass(env, "Session",
                     {
                         InstanceMethod<&Session::Gradient>("gradient"),
                         InstanceMethod<&Session::TrainChunk>("trainChunk"),
                         InstanceMethod<&Session::TrainChunkAsync>("trainChunkAsync"),
                         InstanceMethod<&Session::Evaluate>("evaluate"),
                         InstanceMethod<&Session::EvaluateAsync>("evaluateAsync"),
                         InstanceMethod<&Session::Step>("step"),
                         InstanceMethod<&Session::StepBatch>("stepBatch"),
                         InstanceMethod<&Session::Sample>("sample"),
                         InstanceMethod<&Session::Dispose>("dispose"),
                     });
}

Session::Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info) {
  Napi::Env env = info.Env();
  guarded(env, [&] {
    expect_args(info, 9, "Session");
    model_ = nn::Model::make(model_config_arg(info));
    const std::size_t P = model_->param_count();
    ArrayArg<float> params = f32_exact(env, info[6], "params", P);
    ArrayArg<float> grads = f32_exact(env, info[7], "grads", P);
    ArrayArg<float> opt = f32_arg(env, info[8], "optState");
    if (opt.length < P)
      throw_range(env, "a Float32Array of length ≥ " + std::to_string(P), "optState", describe(info[8]));
    const Span p = span_of(params, "params"), g = span_of(grads, "grads"), o = span_of(opt, "optState");
    if (overlaps(p, g) || overlaps(p, o) || overlaps(g, o))
      throw Napi::RangeError::New(env,
                                  "Expected params, grads and optState to be disjoint Float32Arrays but received "
                                  "overlapping views of one buffer");
    params_ = Napi::Persistent(info[6].As<Napi::Float32Array>());
    grads_ = Napi::Persistent(info[7].As<Napi::Float32Array>());
    opt_ = Napi::Persistent(info[8].As<Napi::Float32Array>());
    return 0;
  });
}

void Session::FinishAsync() {
  busy_ = false;
  g_async_in_flight.fetch_sub(1);
}

Napi::Promise Session::start_async(SessionWorker* worker) {
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
}

void Session::check_usable(Napi::Env env) const {
  if (busy_) throw coded_error(env, kBusy, kBusyCode);
  if (disposed_) throw coded_error(env, kDisposed, kDisposedCode);
}

nn::Arenas Session::arenas(Napi::Env env, std::size_t opt_needed) {
  const std::size_t P = model_->param_count();
  ArrayArg<float> p = f32_exact(env, params_.Value(), "params", P);
  ArrayArg<float> g = f32_exact(env, grads_.Value(), "grads", P);
  ArrayArg<float> o = f32_arg(env, opt_.Value(), "optState");
  if (o.length < opt_needed)
    throw_range(env, "a Float32Array of length ≥ " + std::to_string(opt_needed), "optState",
                "a Float32Array of length " + std::to_string(o.length));
  return {p.data, g.data, o.data};
}

// A private copy of token ids, checked and used from there: a chunk writes caller-visible buffers (the carried
// state, the gradients) while it still reads its ids, and a sample writes the state between prime tokens; any of
// those may share memory with the ids, so the ids used must be the ones checked.
std::int32_t* Session::private_ids(Scratch<std::int32_t>& dst, const ArrayArg<std::int32_t>& ids) {
  if (ids.length == 0) return ids.data;
  std::int32_t* p = dst.grow(ids.length);
  std::memcpy(p, ids.data, ids.length * sizeof(std::int32_t));
  return p;
}

ChunkArgs Session::chunk_args(const Napi::CallbackInfo& info, std::size_t rng_index) {
  Napi::Env env = info.Env();
  ChunkArgs c{};
  c.inputs = i32_arg(env, info[0], "inputs");
  c.targets = i32_arg(env, info[1], "targets");
  c.hidden = f32_arg(env, info[2], "hidden");
  const double B = positive_int_arg(env, info[3], "batch");
  const double T = positive_int_arg(env, info[4], "steps");
  const double widest = static_cast<double>(model_->widest_row());
  if (B * T * widest > static_cast<double>(kMaxScratchElements))
    throw Napi::RangeError::New(env, "Expected batch × steps × max(hiddenSize, vocabSize) ≤ " +
                                         std::to_string(kMaxScratchElements) + " but received " +
                                         number_to_string(env, B) + " × " + number_to_string(env, T) + " × " +
                                         number_to_string(env, widest));
  c.B = static_cast<int>(B);
  c.T = static_cast<int>(T);
  const std::size_t BT = static_cast<std::size_t>(c.B) * c.T;
  const std::size_t V = model_->vocab();
  expect_length(env, c.inputs, BT, "Int32Array", "inputs");
  expect_length(env, c.targets, BT, "Int32Array", "targets");
  c.inputs.data = private_ids(ids_inputs_, c.inputs);
  c.targets.data = private_ids(ids_targets_, c.targets);
  check_ids(env, c.inputs, V, "inputs");
  check_ids(env, c.targets, V, "targets");
  expect_length(env, c.hidden, static_cast<std::size_t>(c.B) * model_->state_width(), "Float32Array", "hidden");
  c.rng = {nullptr, 0};
  if (model_->has_dropout()) {
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
  const std::string reduction = one_of_arg(env, info[5], "reduction", {"sum", "mean"});
  c.scale = reduction == "mean" ? static_cast<float>(1.0 / (static_cast<double>(c.B) * c.T)) : 1.0f;
  return c;
}

optim::Hyper Session::hyper_args(const Napi::CallbackInfo& info) { return hyper_from(info.Env(), info[6], info[7]); }

optim::Hyper hyper_from(Napi::Env env, Napi::Value kind_arg, Napi::Value hyper_arg) {
  const std::string kind = one_of_arg(env, kind_arg, "optimizer.kind", {"sgd", "adagrad", "rmsprop", "adam"});
  ArrayArg<double> h = f64_arg(env, hyper_arg, "hyper");
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
  if (!std::isfinite(step) || std::floor(step) != step || step < 1 || step > static_cast<double>(kMaxSafeInteger))
    throw_range(env, "a positive integer", "step", number_to_string(env, step));
  o.step = step;
  return o;
}

namespace {

nn::Chunk chunk_of(const ChunkArgs& c) {
  return {c.inputs.data, c.targets.data, c.B, c.T, c.hidden.data, c.rng.data, c.scale};
}

bool stopping_interrupt(void* env) { return env_stopping(static_cast<napi_env>(env)); }

double temperature_arg(Napi::Env env, Napi::Value v) {
  const double t = number_arg(env, v, "a positive finite number", "temperature");
  if (!std::isfinite(t) || t <= 0) throw_range(env, "a positive finite number", "temperature", describe(v));
  return t;
}

}  // namespace

// From the moment a worker is terminated (before its thread even leaves the call it is in), Node refuses every
// N-API call that may run JavaScript: NAPI_PREAMBLE returns napi_pending_exception (napi_cannot_run_js for modules
// of the experimental API version) when the environment cannot call into JS or an exception is pending, before it
// looks at the arguments. napi_strict_equals is such a call; with null operands it otherwise fails with
// napi_invalid_arg, so it touches no V8 value either way. (Should a Node check the arguments first, this never
// reports stopping: calls then run to their end, as before.)
bool env_stopping(napi_env env) {
  bool equal = false;
  return napi_strict_equals(env, nullptr, nullptr, &equal) != napi_invalid_arg;
}

Napi::Object chunk_result(Napi::Env env, const nn::ChunkResult& r, int B, int T) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("loss", Napi::Number::New(env, r.loss_sum / (static_cast<double>(B) * T)));
  o.Set("gradNorm", Napi::Number::New(env, r.grad_norm));
  return o;
}

Napi::Value Session::Gradient(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_usable(env);
    expect_args(info, 6, "gradient");
    const ChunkArgs c = chunk_args(info, 6);
    const nn::Arenas a = arenas(env, 0);
    const double loss = model_->gradient(kernels::active(), a, chunk_of(c));
    return Napi::Number::New(env, loss / (static_cast<double>(c.B) * c.T));
  });
}

Napi::Value Session::TrainChunk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_usable(env);
    expect_args(info, 8, "trainChunk");
    const ChunkArgs c = chunk_args(info, 8);
    const optim::Hyper h = hyper_args(info);
    const nn::Arenas a = arenas(env, optim::slots(h.kind) * model_->param_count());
    return train_result(env, model_->train_chunk(kernels::active(), a, chunk_of(c), h), c.B, c.T);
  });
}

Napi::Object Session::train_result(Napi::Env env, const nn::ChunkResult& r, int B, int T) {
  if (train_result_.IsEmpty()) {
    Napi::Array keys = Napi::Array::New(env, 2);
    keys.Set(0u, Napi::String::New(env, "loss"));
    keys.Set(1u, Napi::String::New(env, "gradNorm"));
    result_keys_ = Napi::Persistent(keys);
    train_result_ = Napi::Persistent(chunk_result(env, r, B, T));
    return train_result_.Value();
  }
  Napi::Object o = train_result_.Value();
  Napi::Array keys = result_keys_.Value();
  o.Set(keys.Get(0u), Napi::Number::New(env, r.loss_sum / (static_cast<double>(B) * T)));
  o.Set(keys.Get(1u), Napi::Number::New(env, r.grad_norm));
  return o;
}

Napi::Value Session::Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_usable(env);
    expect_args(info, 1, "evaluate");
    ArrayArg<std::int32_t> ids = i32_arg(env, info[0], "ids");
    const float* h0 = nullptr;
    if (info.Length() > 1 && !info[1].IsUndefined()) h0 = f32_exact(env, info[1], "hidden", model_->state_width()).data;
    check_ids(env, ids, model_->vocab(), "ids");
    if (ids.length < 2)
      throw Napi::RangeError::New(
          env, "Expected at least 2 tokens for ids but received an Int32Array of length " + std::to_string(ids.length));
    const nn::Arenas a = arenas(env, 0);
    const nn::Interrupt stop{stopping_interrupt, static_cast<napi_env>(env)};
    const nn::ScopedInterrupt scope(&stop);
    const double total = model_->evaluate(kernels::active(), a.params, ids.data, ids.length, h0);
    Napi::Object r = Napi::Object::New(env);
    r.Set("totalNats", Napi::Number::New(env, total));
    r.Set("count", Napi::Number::New(env, static_cast<double>(ids.length - 1)));
    return r;
  });
}

Napi::Value Session::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_usable(env);
    expect_args(info, 4, "step");
    const std::size_t V = model_->vocab();
    ArrayArg<float> hidden = f32_exact(env, info[0], "hidden", model_->state_width());
    const std::string what = "a token id in [0, " + std::to_string(V - 1) + "]";
    const double token = int_arg(env, info[1], what, "token", 0, static_cast<double>(V - 1));
    ArrayArg<float> probs = f32_exact(env, info[2], "probs", V);
    const double temperature = temperature_arg(env, info[3]);
    const nn::Arenas a = arenas(env, 0);
    model_->step(kernels::active(), a.params, hidden.data, static_cast<int>(token), probs.data, temperature);
    return env.Undefined();
  });
}

// stepBatch(states, tokens, probs, temperature): step() for n = tokens.length streams in one call; states
// [n·stateSize(1)] (stream b's state contiguous) and probs [n·V] in place.
Napi::Value Session::StepBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_usable(env);
    expect_args(info, 4, "stepBatch");
    const std::size_t V = model_->vocab(), W = model_->state_width();
    ArrayArg<std::int32_t> tokens = i32_arg(env, info[1], "tokens");
    const double n = static_cast<double>(tokens.length);
    const double widest = static_cast<double>(std::max(model_->widest_row(), W));
    if (n < 1 || n * widest > static_cast<double>(kMaxScratchElements))
      throw Napi::RangeError::New(env,
                                  "Expected 1 ≤ tokens.length and tokens.length × max(stateSize, hiddenSize, "
                                  "vocabSize) ≤ " +
                                      std::to_string(kMaxScratchElements) + " but received " +
                                      number_to_string(env, n) + " × " + number_to_string(env, widest));
    tokens.data = private_ids(ids_inputs_, tokens);
    check_ids(env, tokens, V, "tokens");
    const std::size_t N = tokens.length;
    ArrayArg<float> states = f32_exact(env, info[0], "states", N * W);
    ArrayArg<float> probs = f32_exact(env, info[2], "probs", N * V);
    if (overlaps(span_of(states, "states"), span_of(probs, "probs")))
      throw Napi::RangeError::New(env,
                                  "Expected states and probs to be disjoint Float32Arrays but received "
                                  "overlapping views of one buffer");
    const double temperature = temperature_arg(env, info[3]);
    const nn::Arenas a = arenas(env, 0);
    model_->step_batch(kernels::active(), a.params, states.data, tokens.data, static_cast<int>(N), probs.data,
                       temperature);
    return env.Undefined();
  });
}

Napi::Value Session::Sample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_usable(env);
    expect_args(info, 6, "sample");
    const std::size_t V = model_->vocab();
    ArrayArg<float> hidden = f32_exact(env, info[0], "hidden", model_->state_width());
    ArrayArg<std::int32_t> prime = i32_arg(env, info[1], "prime");
    prime.data = private_ids(ids_inputs_, prime);
    check_ids(env, prime, V, "prime");
    if (prime.length < 1)
      throw Napi::RangeError::New(env, "Expected at least 1 token for prime but received an Int32Array of length 0");
    const double length = int_in_arg(env, info[2], "length", 0, kMaxSampleLength);
    const bool greedy = bool_arg(env, info[4], "greedy");
    const double temperature = greedy ? 1.0 : temperature_arg(env, info[3]);
    ArrayArg<std::uint32_t> rng_state = u32_arg(env, info[5], "rngState");
    if (rng_state.length != 4)
      throw Napi::TypeError::New(env,
                                 "Expected a Uint32Array of length 4 for rngState but received " + describe(info[5]));
    // Optional generation options (src/sampling/transform.ts), positional: banned ids, repetition penalty θ,
    // its window, top-k, top-p. Absent = the plain draw.
    nn::TransformSpec spec;
    std::vector<std::int32_t> banned;
    if (info.Length() > 6) {
      expect_args(info, 11, "sample with generation options");
      ArrayArg<std::int32_t> b = i32_arg(env, info[6], "banned");
      check_ids(env, b, V, "banned");
      banned.assign(b.data, b.data + b.length);  // a private copy: nothing below re-reads the caller's buffer
      spec.banned = banned.data();
      spec.n_banned = banned.size();
      const double theta = number_arg(env, info[7], "a finite number ≥ 1", "repetitionPenalty");
      if (!std::isfinite(theta) || theta < 1)
        throw_range(env, "a finite number ≥ 1", "repetitionPenalty", describe(info[7]));
      spec.repetition_penalty = theta;
      spec.repetition_window =
          static_cast<std::size_t>(int_in_arg(env, info[8], "repetitionWindow", 1, kMaxSampleLength));
      spec.top_k = static_cast<int>(int_in_arg(env, info[9], "topK", 0, kMaxInt));
      const double top_p = number_arg(env, info[10], "a number in (0, 1]", "topP");
      if (!(top_p > 0 && top_p <= 1)) throw_range(env, "a number in (0, 1]", "topP", describe(info[10]));
      spec.top_p = top_p;
    }
    // Allocating the result may run the GC but no user code; re-read every buffer afterwards.
    Napi::Int32Array out = Napi::Int32Array::New(env, static_cast<std::size_t>(length));
    hidden = f32_exact(env, info[0], "hidden", model_->state_width());
    rng_state = u32_arg(env, info[5], "rngState");
    const nn::Arenas a = arenas(env, 0);
    const nn::Interrupt stop{stopping_interrupt, static_cast<napi_env>(env)};
    const nn::ScopedInterrupt scope(&stop);
    model_->sample(kernels::active(), a.params, hidden.data, prime.data, prime.length, out.Data(),
                   static_cast<std::size_t>(length), temperature, greedy, rng_state.data, spec);
    return out;
  });
}

Napi::Value Session::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (busy_) throw coded_error(env, kBusy, kBusyCode);
    if (!disposed_) {
      disposed_ = true;
      params_.Reset();
      grads_.Reset();
      opt_.Reset();
    }
    return env.Undefined();
  });
}

}  // namespace binding
}  // namespace charrnn
