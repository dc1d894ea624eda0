#include "FaceEmbedder.hpp"

#include <cmath>

namespace vigil::vision {

std::optional<Embedding> FaceEmbedder::normalised(const float* v, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += static_cast<double>(v[i]) * v[i];
    if (!(sum > 0) || !std::isfinite(sum)) return std::nullopt;
    const auto inv = static_cast<float>(1.0 / std::sqrt(sum));
    Embedding out(n);
    for (size_t i = 0; i < n; ++i) out[i] = v[i] * inv;
    return out;
}

}  // namespace vigil::vision
