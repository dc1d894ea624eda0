#include "ModelFile.hpp"

#include <filesystem>
#include <system_error>

#include "vigil/vision/Types.hpp"

namespace vigil::vision {

ModelFile::ModelFile(const std::string& modelsDir, const std::string& file) {
    const std::filesystem::path p(file);
    path_ = p.is_absolute() || modelsDir.empty() ? p.string()
                                                 : (std::filesystem::path(modelsDir) / p).string();
}

bool ModelFile::exists() const {
    std::error_code ec;
    return std::filesystem::is_regular_file(path_, ec);
}

const std::string& ModelFile::require(const std::string& purpose) const {
    if (!exists()) {
        throw VisionError("model_missing", purpose + " model file not found: " + path_);
    }
    return path_;
}

}  // namespace vigil::vision
