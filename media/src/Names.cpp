#include "vigil/media/MediaService.hpp"

namespace vigil::media {

const char* toString(StreamKind kind) {
    return kind == StreamKind::Camera ? "camera" : "main";
}

const char* toString(RoomKind kind) {
    return kind == RoomKind::Call ? "call" : "class";
}

}  // namespace vigil::media
