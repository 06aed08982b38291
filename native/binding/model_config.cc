// Reading a model config from positional arguments (see model_config.h).
#include "model_config.h"

#include <cmath>
#include <string>

#include "args.h"
#include "limits.h"

namespace charrnn {
namespace binding {

nn::ModelConfig model_config_arg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string cell = one_of_arg(env, info[0], "cell", {"rnn", "lstm", "gru"});
  const std::string activation = one_of_arg(env, info[1], "activation", {"tanh", "relu"});
  if (activation != "tanh" && cell != "rnn")
    throw_range(env, "'tanh' for cell '" + cell + "'", "activation",
                describe(info[1]) + ". HINT: activation applies to cell 'rnn' only");
  const double V = int_in_arg(env, info[2], "vocabSize", 2, kMaxVocab);
  ArrayArg<std::int32_t> hs = i32_arg(env, info[3], "hiddenSizes");
  if (hs.length < 1 || hs.length > static_cast<std::size_t>(kMaxLayers))
    throw_range(env, "an Int32Array of length in " + interval(1, kMaxLayers) + " (one width per layer)", "hiddenSizes",
                "a Int32Array of length " + std::to_string(hs.length));
  nn::ModelConfig c;
  c.hidden.resize(hs.length);
  for (std::size_t l = 0; l < hs.length; l++) {
    const std::int32_t h = hs.data[l];
    if (h < 1 || h > kMaxHidden)
      throw_range(env, integer_in(1, kMaxHidden), "hiddenSizes[" + std::to_string(l) + "]", std::to_string(h));
    c.hidden[l] = static_cast<std::size_t>(h);
  }
  const double E = int_in_arg(env, info[4], "embeddingSize", 0, kMaxEmbedding);
  const double p = number_arg(env, info[5], "a number in [0, 1)", "dropout");
  if (!std::isfinite(p) || p < 0 || p >= 1) throw_range(env, "a number in [0, 1)", "dropout", describe(info[5]));
  c.cell = cell == "lstm" ? nn::Cell::kLstm : cell == "gru" ? nn::Cell::kGru : nn::Cell::kRnn;
  c.relu = activation == "relu";
  c.V = static_cast<std::size_t>(V);
  c.E = static_cast<std::size_t>(E);
  c.dropout = p;
  return c;
}

}  // namespace binding
}  // namespace charrnn
