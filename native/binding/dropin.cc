// The drop-in functions (src/dropin/lossfun.ts, src/dropin/kernels.ts): synchronous calls over caller-owned
// Float32Arrays. They run to completion on the calling thread, so no buffer can be detached or transferred mid-call and
// nothing needs pinning. Every length, shape, id and overlap is checked before a pointer is dereferenced.
//   lossFun(inputs, targets, hprev, Wxh, Whh, Why, bh, by, dWxh, dWhh, dWhy, dbh, dby, hOut): number
//   gemm(transA, transB, M, N, K, A, lda, B, ldb, C, ldc, accumulate): undefined
//   gemv(trans, M, N, A, lda, x, y, accumulate): undefined
//   axpy(alpha, x, y): undefined        dot(x, y): number
#include "dropin.h"

#include <cmath>
#include <cstring>
#include <string>

#include "args.h"
#include "kernels/kernels.h"
#include "limits.h"
#include "nn/lossfun.h"

namespace charrnn {
namespace binding {
namespace {

// double → float without the undefined behaviour of an out-of-range conversion (NaN passes through).
float to_f32(double x) {
  if (x > 3.4028234663852886e38) return HUGE_VALF;
  if (x < -3.4028234663852886e38) return -HUGE_VALF;
  return static_cast<float>(x);
}

// A kernel size or stride (the kernels take int).
std::size_t dim_arg(Napi::Env env, Napi::Value v, const char* name) {
  return static_cast<std::size_t>(int_in_arg(env, v, name, 0, kMaxInt));
}

// A row-major matrix argument of rows × cols with row stride `ld`: checks ld ≥ cols and the length it implies.
ArrayArg<float> matrix_arg(Napi::Env env, Napi::Value v, const char* name, std::size_t rows, std::size_t cols,
                           std::size_t ld, const char* ld_name) {
  ArrayArg<float> a = f32_arg(env, v, name);
  if (ld < cols)
    throw Napi::RangeError::New(env, std::string("Expected an integer ≥ ") + std::to_string(cols) +
                                         " (the row width of " + name + ") for " + ld_name + " but received " +
                                         std::to_string(ld));
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
      throw_range(env, "a Float32Array of length in " + interval(1, kMaxHidden) + " (H)", "bh",
                  "a Float32Array of length " + std::to_string(bh.length));
    if (by.length < 2 || by.length > static_cast<std::size_t>(kMaxVocab))
      throw_range(env, "a Float32Array of length in " + interval(2, kMaxVocab) + " (V)", "by",
                  "a Float32Array of length " + std::to_string(by.length));
    const std::size_t H = bh.length, V = by.length;
    // "Expected a Float32Array of length 35 ([H, V] = [5, 7]) for Wxh but received a Float32Array of length 34"
    auto matrix = [&](const ArrayArg<float>& a, std::size_t rows, std::size_t cols, const char* shape,
                      const char* name) {
      if (a.length != rows * cols)
        throw_range(env,
                    "a Float32Array of length " + std::to_string(rows * cols) + " (" + shape + " = [" +
                        std::to_string(rows) + ", " + std::to_string(cols) + "])",
                    name, "a Float32Array of length " + std::to_string(a.length));
    };
    auto vector = [&](const ArrayArg<float>& a, std::size_t n, const char* shape, const char* name) {
      if (a.length != n)
        throw_range(env,
                    "a Float32Array of length " + std::to_string(n) + " (" + shape + " = [" + std::to_string(n) + "])",
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
    if (T < 1)
      throw Napi::RangeError::New(env, "Expected at least 1 token for inputs but received an Int32Array of length 0");
    expect_length(env, targets, T, "Int32Array", "targets");
    const std::size_t widest = H > V ? H : V;
    if (static_cast<double>(T) * static_cast<double>(widest) > static_cast<double>(kMaxScratchElements))
      throw Napi::RangeError::New(env, "Expected inputs.length × max(H, V) ≤ " + std::to_string(kMaxScratchElements) +
                                           " but received " + std::to_string(T) + " × " + std::to_string(widest));
    check_ids(env, inputs, V, "inputs");
    check_ids(env, targets, V, "targets");
    // Outputs are written: none may overlap an input or another output (hOut may be hprev itself).
    const Span outs[] = {span_of(dWxh, "dWxh"), span_of(dWhh, "dWhh"), span_of(dWhy, "dWhy"),
                         span_of(dbh, "dbh"),   span_of(dby, "dby"),   span_of(hout, "hOut")};
    const std::size_t out_lengths[] = {dWxh.length, dWhh.length, dWhy.length, dbh.length, dby.length, hout.length};
    const Span ins[] = {
        span_of(inputs, "inputs"), span_of(targets, "targets"), span_of(hprev, "hprev"), span_of(Wxh, "Wxh"),
        span_of(Whh, "Whh"),       span_of(Why, "Why"),         span_of(bh, "bh"),       span_of(by, "by")};
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
      throw Napi::RangeError::New(env,
                                  "gemm with transA and transB both true (C = Aᵀ·Bᵀ) is not supported. HINT: compute "
                                  "Cᵀ = B·A with gemm(false, false, N, M, K, B, A, Cᵀ)");
    const std::size_t M = dim_arg(env, info[2], "M"), N = dim_arg(env, info[3], "N"), K = dim_arg(env, info[4], "K");
    const std::size_t lda = dim_arg(env, info[6], "lda"), ldb = dim_arg(env, info[8], "ldb"),
                      ldc = dim_arg(env, info[10], "ldc");
    const bool accumulate = bool_arg(env, info[11], "accumulate");
    ArrayArg<float> A =
        ta ? matrix_arg(env, info[5], "A", K, M, lda, "lda") : matrix_arg(env, info[5], "A", M, K, lda, "lda");
    ArrayArg<float> B =
        tb ? matrix_arg(env, info[7], "B", N, K, ldb, "ldb") : matrix_arg(env, info[7], "B", K, N, ldb, "ldb");
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

}  // namespace

void register_dropin(Napi::Env env, Napi::Object exports) {
  exports.Set("lossFun", Napi::Function::New<LossFun>(env, "lossFun"));
  exports.Set("gemm", Napi::Function::New<Gemm>(env, "gemm"));
  exports.Set("gemv", Napi::Function::New<Gemv>(env, "gemv"));
  exports.Set("axpy", Napi::Function::New<Axpy>(env, "axpy"));
  exports.Set("dot", Napi::Function::New<Dot>(env, "dot"));
}

}  // namespace binding
}  // namespace charrnn
