// nn::Model (native/nn/model.h) against the cells it wraps, without Node: Model::make picks the one-layer tanh
// fast path (rnn.h, the seeds' tensor names) exactly for min-char-rnn's shape and the stacked / gated path
// (stack.h) for every other config; and gradient, train_chunk, evaluate, step and sample through the interface are
// bit-identical to calling rnn_* / stack_* and optim::clip_and_update directly (same bytes of parameters, gradients,
// optimizer state, carried state, probabilities, sampled ids and mask stream), on every kernel table; and that an
// interrupt (interrupt.h) stops evaluate and sample at the check where it fires and changes nothing otherwise.
// `make -C native/tests model_test` (`make test` runs it; `make asan` under the sanitizers).
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../nn/interrupt.h"
#include "../nn/layout.h"
#include "../nn/model.h"
#include "../nn/rnn.h"
#include "../nn/stack.h"

using namespace charrnn;

namespace {

int g_fails = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    g_fails++;
    std::printf("FAIL %s\n", what.c_str());
  }
}

template <typename T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// An nn::Interrupt that fires on its stop_at-th ask (never when stop_at is 0), counting asks.
struct Asks {
  int n = 0;
  int stop_at = 0;
};
bool ask(void* ctx) {
  Asks* a = static_cast<Asks*>(ctx);
  return ++a->n == a->stop_at;
}

// The direct calls the model must reproduce: either the fast path or the stack, by the same rule as model.cc.
struct Direct {
  bool fast;
  nn::RnnLayout rnn{};
  std::unique_ptr<nn::StackLayout> stack;
  nn::RnnWorkspace rws;
  std::unique_ptr<nn::StackWorkspace> sws;
  explicit Direct(const nn::ModelConfig& c)
      : fast(c.cell == nn::Cell::kRnn && !c.relu && c.hidden.size() == 1 && c.E == 0 && c.dropout == 0) {
    if (fast) {
      rnn = nn::RnnLayout::of(c.hidden[0], c.V);
      return;
    }
    nn::StackConfig s;
    s.cell = c.cell;
    s.relu = c.relu;
    s.V = c.V;
    s.E = c.E;
    s.hidden = c.hidden;
    s.dropout = c.dropout;
    stack.reset(new nn::StackLayout(nn::StackLayout::of(s)));
    sws.reset(new nn::StackWorkspace(stack->layers.size()));
  }
  std::size_t P() const { return fast ? rnn.size : stack->size; }
  std::size_t state() const { return fast ? rnn.H : stack->state_width; }
  double gradient(const kernels::Table& k, float* p, float* g, const std::int32_t* in, const std::int32_t* tg, int B,
                  int T, float* h, std::uint32_t* rs, float scale) {
    if (fast) return nn::rnn_chunk_gradient(k, rnn, p, g, in, tg, B, T, h, scale, rws);
    Xoshiro128ss r{{rs[0], rs[1], rs[2], rs[3]}};
    const double loss = nn::stack_chunk_gradient(k, *stack, p, g, in, tg, B, T, h, &r, scale, *sws);
    std::memcpy(rs, r.s, sizeof r.s);
    return loss;
  }
};

void run(const kernels::Table& k, const std::string& name, const nn::ModelConfig& c) {
  const std::string tag = std::string(k.isa) + " " + name;
  std::unique_ptr<nn::Model> m = nn::Model::make(c);
  Direct d(c);
  check(m->param_count() == d.P(), tag + ": param_count");
  check(m->state_width() == d.state(), tag + ": state_width");
  check(m->has_dropout() == (c.dropout > 0), tag + ": has_dropout");
  std::size_t covered = 0;
  for (const nn::Model::Tensor& t : m->tensors()) covered += t.size;
  check(covered == m->param_count(), tag + ": tensors cover the arena");
  check((m->tensors()[0].name == "Wxh") == d.fast, tag + ": the fast path exactly for min-char-rnn's shape");

  std::mt19937 gen(11);
  std::normal_distribution<float> nd(0, 0.2f);
  const int B = 3, T = 7;
  const std::size_t P = m->param_count(), S = m->state_width(), V = c.V;
  std::vector<float> p1(P), g1(P, 5.f), o1(2 * P, 0.f), h1(B * S);
  for (float& x : p1) x = nd(gen);
  for (float& x : h1) x = nd(gen);
  std::vector<std::int32_t> in(B * T), tg(B * T);
  for (int i = 0; i < B * T; i++) {
    in[i] = static_cast<std::int32_t>(gen() % V);
    tg[i] = static_cast<std::int32_t>(gen() % V);
  }
  std::vector<float> p2 = p1, g2 = g1, o2 = o1, h2 = h1;
  std::vector<std::uint32_t> r1 = {1, 2, 3, 4}, r2 = r1;
  optim::Hyper hyper{optim::Kind::kAdam, 0.01, 0, 0.9, 0.999, 1e-8, 0.01, 0, 1, 1};
  const float scale = 1.0f / (B * T);

  // Three chunks: train_chunk against gradient + clip_and_update, carrying the state and the mask stream.
  for (int step = 1; step <= 3; step++) {
    hyper.step = step;
    m->reserve(k, B, T);
    const nn::ChunkResult r = m->train_chunk(k, {p1.data(), g1.data(), o1.data()},
                                             {in.data(), tg.data(), B, T, h1.data(), r1.data(), scale}, hyper);
    const double loss = d.gradient(k, p2.data(), g2.data(), in.data(), tg.data(), B, T, h2.data(), r2.data(), scale);
    const double norm = optim::clip_and_update(hyper, p2.data(), g2.data(), o2.data(), P);
    check(r.loss_sum == loss && r.grad_norm == norm, tag + ": train_chunk loss and norm");
    check(same(p1, p2) && same(g1, g2) && same(o1, o2) && same(h1, h2), tag + ": train_chunk arenas and state");
    check(same(r1, r2), tag + ": train_chunk mask stream");
  }
  const double l1 =
      m->gradient(k, {p1.data(), g1.data(), o1.data()}, {in.data(), tg.data(), B, T, h1.data(), r1.data(), 1.0f});
  const double l2 = d.gradient(k, p2.data(), g2.data(), in.data(), tg.data(), B, T, h2.data(), r2.data(), 1.0f);
  check(l1 == l2 && same(g1, g2) && same(h1, h2), tag + ": gradient");

  // evaluate, step, sample on one stream.
  const std::vector<std::int32_t> ids = {1, 0, 1, 1, 0};
  std::vector<float> s0(h1.begin(), h1.begin() + S);
  const double e1 = m->evaluate(k, p1.data(), ids.data(), ids.size(), s0.data());
  const double e2 = d.fast ? nn::rnn_evaluate(k, d.rnn, p2.data(), ids.data(), ids.size(), s0.data(), d.rws)
                           : nn::stack_evaluate(k, *d.stack, p2.data(), ids.data(), ids.size(), s0.data(), *d.sws);
  check(e1 == e2, tag + ": evaluate");
  std::vector<float> sa = s0, sb = s0, pa(V), pb(V);
  m->step(k, p1.data(), sa.data(), 1, pa.data(), 0.8);
  if (d.fast)
    nn::rnn_step(k, d.rnn, p2.data(), sb.data(), 1, pb.data(), 0.8, d.rws);
  else
    nn::stack_step(k, *d.stack, p2.data(), sb.data(), 1, pb.data(), 0.8, *d.sws);
  check(same(sa, sb) && same(pa, pb), tag + ": step");
  const std::int32_t prime[] = {0, 1};
  std::vector<std::int32_t> oa(40), ob(40);
  std::vector<std::uint32_t> ra = {9, 8, 7, 6};
  nn::TransformSpec spec;
  spec.top_k = 2;
  m->sample(k, p1.data(), sa.data(), prime, 2, oa.data(), oa.size(), 0.9, false, ra.data(), spec);
  Xoshiro128ss rb{{9, 8, 7, 6}};
  nn::TokenPicker picker(spec, static_cast<int>(V));
  if (d.fast)
    nn::rnn_sample(k, d.rnn, p2.data(), sb.data(), prime, 2, ob.data(), ob.size(), 0.9, false, rb, pb.data(), d.rws,
                   picker);
  else
    nn::stack_sample(k, *d.stack, p2.data(), sb.data(), prime, 2, ob.data(), ob.size(), 0.9, false, rb, pb.data(),
                     *d.sws, picker);
  check(same(oa, ob) && same(sa, sb) && std::memcmp(ra.data(), rb.s, sizeof rb.s) == 0, tag + ": sample");

  // interrupt.h: a quiet interrupt changes nothing; one that fires abandons evaluate (asked once per block of 128
  // positions) and sample (every 64 tokens) with nn::Stopped at that check; the scope ends with its call.
  std::vector<std::int32_t> long_ids(300);  // 299 positions: 3 blocks
  for (std::size_t i = 0; i < long_ids.size(); i++) long_ids[i] = static_cast<std::int32_t>((i * 7) % V);
  auto evaluate = [&] { return m->evaluate(k, p1.data(), long_ids.data(), long_ids.size(), nullptr); };
  auto sample = [&](std::vector<std::int32_t>& out) {
    std::vector<float> st = s0;
    std::vector<std::uint32_t> rs = {9, 8, 7, 6};
    m->sample(k, p1.data(), st.data(), prime, 2, out.data(), out.size(), 0.9, false, rs.data(), spec);
  };
  const double plain = evaluate();
  std::vector<std::int32_t> plain_out(200), quiet_out(200);
  sample(plain_out);
  Asks never;
  const nn::Interrupt quiet{ask, &never};
  {
    const nn::ScopedInterrupt scope(&quiet);
    check(evaluate() == plain, tag + ": evaluate under a quiet interrupt");
    check(never.n == 3, tag + ": evaluate asks once per block");
    sample(quiet_out);
    check(same(plain_out, quiet_out) && never.n == 6, tag + ": sample under a quiet interrupt, asked every 64 tokens");
  }
  Asks second{0, 2};
  const nn::Interrupt firing{ask, &second};
  bool stopped = false;
  try {
    const nn::ScopedInterrupt scope(&firing);
    evaluate();
  } catch (const nn::Stopped&) { stopped = true; }
  check(stopped && second.n == 2, tag + ": evaluate stops at the block where the interrupt fires");
  check(evaluate() == plain && second.n == 2, tag + ": the scope ends with its call");
  second.n = 0;
  stopped = false;
  try {
    const nn::ScopedInterrupt scope(&firing);
    sample(quiet_out);
  } catch (const nn::Stopped&) { stopped = true; }
  check(stopped && second.n == 2, tag + ": sample stops at the check where the interrupt fires");
}

nn::ModelConfig config(nn::Cell cell, bool relu, std::vector<std::size_t> hidden, std::size_t E, double dropout) {
  nn::ModelConfig c;
  c.cell = cell;
  c.relu = relu;
  c.V = 11;
  c.hidden = hidden;
  c.E = E;
  c.dropout = dropout;
  return c;
}

}  // namespace

int main() {
  int n = 0;
  const char* const* isas = kernels::supported_isas(&n);
  int cases = 0;
  for (int i = 0; i < n; i++) {
    const kernels::Table* k = kernels::table_for(isas[i]);
    if (k == nullptr) continue;
    kernels::set_isa(isas[i]);  // optim::clip_and_update dispatches on the active table
    run(*k, "rnn tanh H=9 (fast path)", config(nn::Cell::kRnn, false, {9}, 0, 0));
    run(*k, "rnn relu H=9", config(nn::Cell::kRnn, true, {9}, 0, 0));
    run(*k, "rnn tanh H=9 E=4", config(nn::Cell::kRnn, false, {9}, 4, 0));
    run(*k, "rnn tanh H=9 dropout", config(nn::Cell::kRnn, false, {9}, 0, 0.25));
    run(*k, "rnn tanh 2 layers", config(nn::Cell::kRnn, false, {9, 5}, 0, 0));
    run(*k, "lstm 2 layers E=4 dropout", config(nn::Cell::kLstm, false, {7, 6}, 4, 0.25));
    run(*k, "gru H=8", config(nn::Cell::kGru, false, {8}, 0, 0));
    cases += 7;
  }
  std::printf("model_test: %d configs, %d failures\n", cases, g_fails);
  return g_fails != 0;
}
