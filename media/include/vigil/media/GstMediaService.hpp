#pragma once
// The in-process media role on GStreamer: one pipeline per room, webrtcbin ingest, tee
// fan-out of the encoded stream to one sending webrtcbin per viewer, chunked recording and
// the sampled frame tap. The header has no GStreamer types so that app/ stays free of them.

#include <memory>
#include <string>
#include <vector>

#include "vigil/common/Config.hpp"
#include "vigil/common/EventLoop.hpp"
#include "vigil/media/MediaService.hpp"

namespace vigil::media {

struct MediaOptions {
    bool record{true};
    std::string recordDir{"var/recordings"};
    int chunkSeconds{300};
    int jitterMs{100};
    int keyframeMinIntervalMs{1000};
    int sampleSeconds{10};
    int portMin{0};
    int portMax{0};
    // The only local addresses ICE gathers on; empty: every address libnice discovers.
    std::vector<std::string> iceAddresses;
    std::string stunServer;  // stun://host:port for the server's own candidates, or empty
};

MediaOptions mediaOptionsFrom(const common::Config& config);

// Initialises GStreamer once and checks that every element the media role needs exists;
// throws std::runtime_error naming what is missing.
void initGStreamer();

std::unique_ptr<MediaService> makeGstMediaService(common::EventLoop& loop, MediaOptions options);

}  // namespace vigil::media
