// The SeqSession ObjectWrap (see seq_session.h).
#include "seq_session.h"

#include <cmath>
#include <cstring>
#include <string>

#include "kernels/kernels.h"
#include "limits.h"
#include "model_config.h"
#include "session.h"
#include "util/rng.h"

namespace charrnn {
namespace binding {

Napi::Function SeqSession::Define(Napi::Env env) {
  return DefineClass(env, "SeqSession",
                     {
                         InstanceMethod<&SeqSession::Gradient>("gradient"),
                         InstanceMethod<&SeqSession::Train>("train"),
                         InstanceMethod<&SeqSession::TrainAsync>("trainAsync"),
                         InstanceMethod<&SeqSession::Forward>("forward"),
                         InstanceMethod<&SeqSession::Tensors>("tensors"),
                         InstanceMethod<&SeqSession::Dispose>("dispose"),
                     });
}

SeqSession::SeqSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SeqSession>(info) {
  Napi::Env env = info.Env();
  guarded(env, [&] {
    expect_args(info, 13, "SeqSession");
    const nn::ModelConfig base = model_config_arg(info);
    nn::SeqConfig c;
    c.stack.cell = base.cell;
    c.stack.relu = base.relu;
    c.stack.V = base.V;
    c.stack.E = base.E;
    c.stack.hidden = base.hidden;
    c.stack.dropout = base.dropout;
    const std::string task = one_of_arg(env, info[6], "task", {"classify", "tag"});
    c.task = task == "tag" ? nn::Task::kTag : nn::Task::kClassify;
    c.C = static_cast<std::size_t>(int_in_arg(env, info[7], "numClasses", 2, kMaxClasses));
    c.bidirectional = bool_arg(env, info[8], "bidirectional");
    const std::string pooling = one_of_arg(env, info[9], "pooling", {"last", "mean", "max"});
    if (pooling != "last" && c.task != nn::Task::kClassify)
      throw_range(env, "'last' for task '" + task + "'", "pooling", describe(info[9]));
    c.pooling = pooling == "mean" ? nn::Pooling::kMean : pooling == "max" ? nn::Pooling::kMax : nn::Pooling::kLast;
    model_.reset(new nn::SeqModel(c));
    const std::size_t P = model_->param_count();
    ArrayArg<float> params = f32_exact(env, info[10], "params", P);
    ArrayArg<float> grads = f32_exact(env, info[11], "grads", P);
    ArrayArg<float> opt = f32_arg(env, info[12], "optState");
    if (opt.length < P)
      throw_range(env, "a Float32Array of length ≥ " + std::to_string(P), "optState", describe(info[12]));
    const Span p = span_of(params, "params"), g = span_of(grads, "grads"), o = span_of(opt, "optState");
    if (overlaps(p, g) || overlaps(p, o) || overlaps(g, o))
      throw Napi::RangeError::New(env,
                                  "Expected params, grads and optState to be disjoint Float32Arrays but received "
                                  "overlapping views of one buffer");
    params_ = Napi::Persistent(info[10].As<Napi::Float32Array>());
    grads_ = Napi::Persistent(info[11].As<Napi::Float32Array>());
    opt_ = Napi::Persistent(info[12].As<Napi::Float32Array>());
    return 0;
  });
}

void SeqSession::check_usable(Napi::Env env) const {
  if (busy_) throw coded_error(env, kBusy, kBusyCode);
  if (disposed_) throw coded_error(env, kDisposed, kDisposedCode);
}

void SeqSession::FinishAsync() {
  busy_ = false;
  g_async_in_flight.fetch_sub(1);
}

namespace {

// A private, checked copy of an Int32Array of exactly n elements.
std::int32_t* copy_i32(Napi::Env env, Napi::Value v, const char* name, std::size_t n, Scratch<std::int32_t>& dst) {
  ArrayArg<std::int32_t> a = i32_arg(env, v, name);
  expect_length(env, a, n, "Int32Array", name);
  std::int32_t* p = dst.grow(n);
  std::memcpy(p, a.data, n * sizeof(std::int32_t));
  return p;
}

}  // namespace

SeqSession::BatchArgs SeqSession::batch_args(const Napi::CallbackInfo& info, bool with_labels) {
  Napi::Env env = info.Env();
  const std::size_t o = with_labels ? 1 : 0;  // index shift after labels
  const double Bd = positive_int_arg(env, info[2 + o], "B");
  const double Td = positive_int_arg(env, info[3 + o], "T");
  const double widest = static_cast<double>(model_->widest_row());
  if (Bd * Td * widest > static_cast<double>(kMaxScratchElements))
    throw Napi::RangeError::New(env, "Expected B × T × max(gates × hiddenSize, numClasses, embeddingSize) ≤ " +
                                         std::to_string(kMaxScratchElements) + " but received " +
                                         number_to_string(env, Bd) + " × " + number_to_string(env, Td) + " × " +
                                         number_to_string(env, widest));
  const int B = static_cast<int>(Bd), T = static_cast<int>(Td);
  const std::size_t BT = static_cast<std::size_t>(B) * T;
  BatchArgs r{};
  std::int32_t* ids = copy_i32(env, info[0], "ids", BT, ids_);
  const std::size_t V = model_->vocab();
  for (std::size_t i = 0; i < BT; i++)
    if (ids[i] < 0 || static_cast<std::size_t>(ids[i]) >= V)
      throw_range(env, "a token id in [0, " + std::to_string(V - 1) + "]", ("ids[" + std::to_string(i) + "]").c_str(),
                  std::to_string(ids[i]));
  std::int32_t* lengths = copy_i32(env, info[1], "lengths", static_cast<std::size_t>(B), lengths_);
  for (int b = 0; b < B; b++)
    if (lengths[b] < 1 || lengths[b] > T)
      throw_range(env, integer_in(1, T), ("lengths[" + std::to_string(b) + "]").c_str(), std::to_string(lengths[b]));
  const std::int32_t* labels = nullptr;
  if (with_labels) {
    const bool tag = model_->task() == nn::Task::kTag;
    const std::size_t n = tag ? BT : static_cast<std::size_t>(B);
    std::int32_t* lab = copy_i32(env, info[2], "labels", n, labels_);
    const std::int32_t lo = tag ? -1 : 0;
    const std::size_t C = model_->num_classes();
    for (std::size_t i = 0; i < n; i++)
      if (lab[i] < lo || lab[i] >= static_cast<std::int32_t>(C))
        throw_range(env, integer_in(lo, static_cast<std::int64_t>(C) - 1),
                    ("labels[" + std::to_string(i) + "]").c_str(), std::to_string(lab[i]));
    labels = lab;
  }
  r.batch = {ids, lengths, labels, B, T, nullptr};
  if (!with_labels) return r;
  // class weights at info[5], rng state at info[6]
  const Napi::Value w = info[5];
  if (!w.IsUndefined()) {
    ArrayArg<float> wa = f32_arg(env, w, "classWeights");
    const std::size_t C = model_->num_classes();
    expect_length(env, wa, C, "Float32Array", "classWeights");
    float* cw = weights_.grow(C);
    std::memcpy(cw, wa.data, C * sizeof(float));
    for (std::size_t i = 0; i < C; i++)
      if (!std::isfinite(cw[i]) || cw[i] < 0)
        throw_range(env, "a finite number ≥ 0", ("classWeights[" + std::to_string(i) + "]").c_str(),
                    number_to_string(env, cw[i]));
    r.batch.class_weights = cw;
  }
  r.rng = {nullptr, 0};
  if (model_->has_dropout()) {
    const Napi::Value v = info[6];
    bool ok = v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint32_array;
    if (ok) {
      r.rng = u32_arg(env, v, "rngState");
      ok = r.rng.length == 4;
    }
    if (!ok)
      throw Napi::TypeError::New(env, "Expected a Uint32Array of length 4 for rngState but received " + describe(v) +
                                          ". HINT: dropout > 0 needs a seeded mask stream");
  }
  return r;
}

namespace {

double run_gradient(nn::SeqModel& m, const float* params, float* grads, const nn::SeqBatch& b, std::uint32_t* state) {
  if (state == nullptr) return m.gradient(kernels::active(), params, grads, b, nullptr);
  Xoshiro128ss rng{{0, 0, 0, 0}};
  std::memcpy(rng.s, state, sizeof rng.s);
  const double loss = m.gradient(kernels::active(), params, grads, b, &rng);
  std::memcpy(state, rng.s, sizeof rng.s);
  return loss;
}

}  // namespace

Napi::Value SeqSession::Gradient(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_usable(env);
    expect_args(info, 7, "gradient");
    const BatchArgs a = batch_args(info, true);
    const std::size_t P = model_->param_count();
    ArrayArg<float> p = f32_exact(env, params_.Value(), "params", P);
    ArrayArg<float> g = f32_exact(env, grads_.Value(), "grads", P);
    return Napi::Number::New(env, run_gradient(*model_, p.data, g.data, a.batch, a.rng.data));
  });
}

Napi::Value SeqSession::Train(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_usable(env);
    expect_args(info, 9, "train");
    const BatchArgs a = batch_args(info, true);
    const optim::Hyper h = hyper_from(env, info[7], info[8]);
    const std::size_t P = model_->param_count();
    ArrayArg<float> p = f32_exact(env, params_.Value(), "params", P);
    ArrayArg<float> g = f32_exact(env, grads_.Value(), "grads", P);
    ArrayArg<float> o = f32_arg(env, opt_.Value(), "optState");
    const std::size_t need = optim::slots(h.kind) * P;
    if (o.length < need)
      throw_range(env, "a Float32Array of length ≥ " + std::to_string(need), "optState",
                  "a Float32Array of length " + std::to_string(o.length));
    const double loss = run_gradient(*model_, p.data, g.data, a.batch, a.rng.data);
    const double norm = optim::clip_and_update(h, p.data, g.data, o.data, P);
    Napi::Object r = Napi::Object::New(env);
    r.Set("loss", Napi::Number::New(env, loss));
    r.Set("gradNorm", Napi::Number::New(env, norm));
    return r;
  });
}

// trainAsync: validation and private copies of the batch on the main thread (batch_args; nothing else touches those
// copies while the session is busy), the workspace reserved there too, so Execute neither allocates nor uses N-API;
// the advanced mask stream is written back and the promise settled in OnOK / OnError.
class SeqTrainWorker : public Napi::AsyncWorker {
 public:
  SeqTrainWorker(Napi::Env env, SeqSession* session, Napi::Object self, Napi::Value rng, const nn::SeqBatch& batch,
                 const optim::Hyper& hyper, float* params, float* grads, float* opt)
      : Napi::AsyncWorker(env, "charrnn.trainSequencesAsync"),
        session_(session),
        deferred_(Napi::Promise::Deferred::New(env)),
        self_(Napi::Persistent(self)),
        kernels_(&kernels::active()),
        batch_(batch),
        hyper_(hyper),
        params_(params),
        grads_(grads),
        opt_(opt) {
    if (session->model_->has_dropout()) {
      rng_ = Napi::Persistent(rng.As<Napi::Uint32Array>());
      std::memcpy(session->async_rng_, rng.As<Napi::Uint32Array>().Data(), sizeof session->async_rng_);
    }
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      Xoshiro128ss rng{{0, 0, 0, 0}};
      const bool drop = session_->model_->has_dropout();
      if (drop) std::memcpy(rng.s, session_->async_rng_, sizeof rng.s);
      loss_ = session_->model_->gradient(*kernels_, params_, grads_, batch_, drop ? &rng : nullptr);
      if (drop) std::memcpy(session_->async_rng_, rng.s, sizeof rng.s);
      norm_ = optim::clip_and_update(hyper_, params_, grads_, opt_, session_->model_->param_count());
    } catch (const std::bad_alloc&) { SetError(kOutOfMemory); } catch (const std::exception& e) {
      SetError(std::string(kNativeErrorPrefix) + e.what());
    } catch (...) { SetError(kUnknownError); }
  }

  void OnOK() override {
    Napi::Env env = Env();
    session_->FinishAsync();
    if (session_->model_->has_dropout()) {
      Napi::Uint32Array rng = rng_.Value();
      Napi::Value buf = rng.ArrayBuffer();
      if ((buf.IsArrayBuffer() && buf.As<Napi::ArrayBuffer>().IsDetached()) || rng.ElementLength() != 4) {
        deferred_.Reject(Napi::Error::New(env,
                                          "trainAsync finished but its rngState Uint32Array was detached or resized "
                                          "while it ran; the advanced mask stream could not be written back")
                             .Value());
        return;
      }
      std::memcpy(rng.Data(), session_->async_rng_, sizeof session_->async_rng_);
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("loss", Napi::Number::New(env, loss_));
    r.Set("gradNorm", Napi::Number::New(env, norm_));
    deferred_.Resolve(r);
  }

  void OnError(const Napi::Error& e) override {
    session_->FinishAsync();
    deferred_.Reject(e.Value());
  }

 private:
  SeqSession* session_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference self_;  // keeps the session (and the arenas it references) alive while this runs
  Napi::Reference<Napi::Uint32Array> rng_;
  const kernels::Table* kernels_;  // the table active when the call was made (setIsa refuses while this runs)
  nn::SeqBatch batch_;             // over the session's private copies
  optim::Hyper hyper_;
  float *params_, *grads_, *opt_;
  double loss_ = 0, norm_ = 0;
};

Napi::Value SeqSession::TrainAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_usable(env);
    expect_args(info, 9, "trainAsync");
    const BatchArgs a = batch_args(info, true);
    const optim::Hyper h = hyper_from(env, info[7], info[8]);
    const std::size_t P = model_->param_count();
    ArrayArg<float> p = f32_exact(env, params_.Value(), "params", P);
    ArrayArg<float> g = f32_exact(env, grads_.Value(), "grads", P);
    ArrayArg<float> o = f32_arg(env, opt_.Value(), "optState");
    const std::size_t need = optim::slots(h.kind) * P;
    if (o.length < need)
      throw_range(env, "a Float32Array of length ≥ " + std::to_string(need), "optState",
                  "a Float32Array of length " + std::to_string(o.length));
    model_->reserve(a.batch.B, a.batch.T);  // Execute must not allocate
    SeqTrainWorker* w =
        new SeqTrainWorker(env, this, info.This().As<Napi::Object>(), info[6], a.batch, h, p.data, g.data, o.data);
    Napi::Promise promise = w->Promise();
    busy_ = true;
    g_async_in_flight.fetch_add(1);
    try {
      w->Queue();
    } catch (...) {
      FinishAsync();
      delete w;
      throw;
    }
    return promise;
  });
}

Napi::Value SeqSession::Forward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_usable(env);
    expect_args(info, 4, "forward");
    const BatchArgs a = batch_args(info, false);
    const std::size_t rows =
        model_->task() == nn::Task::kTag ? static_cast<std::size_t>(a.batch.B) * a.batch.T : a.batch.B;
    // Allocating the result may run the GC but no user code; the arenas are re-read afterwards.
    Napi::Float32Array out = Napi::Float32Array::New(env, rows * model_->num_classes());
    ArrayArg<float> p = f32_exact(env, params_.Value(), "params", model_->param_count());
    model_->forward(kernels::active(), p.data, a.batch, out.Data());
    return out;
  });
}

Napi::Value SeqSession::Tensors(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const std::vector<nn::SeqModel::Tensor> ts = model_->tensors();
    Napi::Array arr = Napi::Array::New(env, ts.size());
    for (std::size_t i = 0; i < ts.size(); i++) {
      Napi::Object t = Napi::Object::New(env);
      t.Set("name", ts[i].name);
      t.Set("offset", Napi::Number::New(env, static_cast<double>(ts[i].offset)));
      t.Set("size", Napi::Number::New(env, static_cast<double>(ts[i].size)));
      arr.Set(static_cast<std::uint32_t>(i), t);
    }
    return arr;
  });
}

Napi::Value SeqSession::Dispose(const Napi::CallbackInfo& info) {
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
