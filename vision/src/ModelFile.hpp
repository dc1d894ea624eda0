#pragma once
// Where a model file is, and the error that names it when it is not there.

#include <string>

namespace vigil::vision {

class ModelFile {
public:
    // A relative `file` is looked up in `modelsDir`; an absolute one is taken as is.
    ModelFile(const std::string& modelsDir, const std::string& file);
    const std::string& path() const { return path_; }
    bool exists() const;
    // Throws VisionError("model_missing") naming the file and what it is for.
    const std::string& require(const std::string& purpose) const;

private:
    std::string path_;
};

}  // namespace vigil::vision
