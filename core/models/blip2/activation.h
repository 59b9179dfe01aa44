// The activations BLIP-2's configs name (vision/Q-Former hidden_act, OPT activation_function),
// shared by the BLIP-2 and OPT blocks.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace ml::blip2 {

// "gelu" (erf), "relu", "quick_gelu", else the tanh approximation (gelu_new, gelu_pytorch_tanh).
inline at::Tensor activate(const at::Tensor &x, const std::string &act)
{
    if (act == "gelu")
        return at::gelu(x);
    if (act == "relu")
        return at::relu(x);
    if (act == "quick_gelu")
        return x * at::sigmoid(1.702 * x);
    return at::gelu(x, "tanh");
}

} // namespace ml::blip2
