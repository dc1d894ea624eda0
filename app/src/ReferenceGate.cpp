#include "ReferenceGate.hpp"

#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "vigil/common/ImageHeader.hpp"

namespace vigil::app {

signaling::ReferenceCheck gateReference(vision::PresenceVerifier& verifier,
                                        const std::string& bytes, const std::string& model,
                                        int minFacePx, long long maxPixels) {
    signaling::ReferenceCheck check;
    check.model = model;
    // The header first: a small file can claim a size whose decoding takes gigabytes.
    const auto size = common::readImageSize(bytes);
    if (!size) {
        check.code = "bad_image";
        check.reason = "the photo cannot be decoded (JPEG or PNG)";
        return check;
    }
    if (size->pixels() > maxPixels) {
        check.code = "image_too_large";
        check.reason = "the photo is " + std::to_string(size->width) + " x " +
                       std::to_string(size->height) + " pixels; at most " +
                       std::to_string(maxPixels) + " pixels are accepted";
        return check;
    }
    std::vector<unsigned char> buffer(bytes.begin(), bytes.end());
    cv::Mat image;
    try {
        image = cv::imdecode(buffer, cv::IMREAD_COLOR);
    } catch (const cv::Exception&) {
        image.release();  // A corrupt file is refused below like any other.
    }
    if (image.empty()) {
        check.code = "bad_image";
        check.reason = "the photo cannot be decoded (JPEG or PNG)";
        return check;
    }
    auto result = verifier.enrol(image, minFacePx);
    check.code = result.code;
    check.reason = result.reason;
    check.embedding = std::move(result.embedding);
    check.faceWidth = static_cast<int>(result.face.box.width);
    check.sharpness = result.quality.sharpness;
    check.brightness = result.quality.brightness;
    return check;
}

}  // namespace vigil::app
