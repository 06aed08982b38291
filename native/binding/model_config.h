// Reading a model config from the six positional arguments that Session and layout() share: cell, activation,
// vocabSize, hiddenSizes, embeddingSize, dropout at info[0..5], with the checks of resolveModelConfig
// (src/model/config.ts). Deliberately only reading: nn::Model::make decides what runs.
#pragma once
#include <napi.h>

#include "nn/model.h"

namespace charrnn {
namespace binding {

nn::ModelConfig model_config_arg(const Napi::CallbackInfo& info);

}  // namespace binding
}  // namespace charrnn
