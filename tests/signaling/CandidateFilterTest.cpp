#include <gtest/gtest.h>

#include <string>

#include "vigil/signaling/CandidateFilter.hpp"

namespace vigil::signaling {
namespace {

std::string udp(const std::string& address, int port, const std::string& type = "host") {
    return "candidate:1 1 udp 2122260223 " + address + " " + std::to_string(port) + " typ " + type +
           " generation 0";
}

CandidateFilter filter(bool allowLoopback = false) {
    return CandidateFilter({allowLoopback, {8080, 6379}});
}

TEST(CandidateFilterTest, OrdinaryAddressesPass) {
    EXPECT_EQ(filter().rejectReason(udp("192.168.1.20", 54321)), "");
    EXPECT_EQ(filter().rejectReason(udp("10.0.0.5", 40000)), "");
    EXPECT_EQ(filter().rejectReason(udp("203.0.113.4", 3478, "srflx") + " raddr 127.0.0.1 rport 9"),
              "")
        << "only the address the server would contact counts, not raddr";
    EXPECT_EQ(filter().rejectReason(udp("2001:db8::5", 40000)), "");
    EXPECT_EQ(filter().rejectReason("a=" + udp("192.168.1.20", 54321)), "");
    EXPECT_EQ(filter().rejectReason(
                  "candidate:2 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active"),
              "");
    // End of candidates.
    EXPECT_EQ(filter().rejectReason(""), "");
}

TEST(CandidateFilterTest, AddressesTheServerMustNotContactAreDropped) {
    EXPECT_EQ(filter().rejectReason(udp("127.0.0.1", 50000)), "loopback");
    EXPECT_EQ(filter().rejectReason(udp("127.45.0.9", 50000)), "loopback");
    EXPECT_EQ(filter().rejectReason(udp("::1", 50000)), "loopback");
    EXPECT_EQ(filter().rejectReason(udp("::ffff:127.0.0.1", 50000)), "loopback");
    EXPECT_EQ(filter().rejectReason(udp("0.0.0.0", 50000)), "unspecified");
    EXPECT_EQ(filter().rejectReason(udp("::", 50000)), "unspecified");
    EXPECT_EQ(filter().rejectReason(udp("169.254.169.254", 80)), "link-local");
    EXPECT_EQ(filter().rejectReason(udp("fe80::1", 50000)), "link-local");
    EXPECT_EQ(filter().rejectReason(udp("224.0.0.251", 5353)), "multicast or reserved");
    EXPECT_EQ(filter().rejectReason(udp("255.255.255.255", 50000)), "multicast or reserved");
    EXPECT_EQ(filter().rejectReason(udp("ff02::fb", 5353)), "multicast or reserved");
    EXPECT_EQ(filter().rejectReason(udp("4f1c-11aa.local", 50000)), "host name");
    EXPECT_EQ(filter().rejectReason(udp("metadata.internal", 80)), "host name");
}

TEST(CandidateFilterTest, TheServersOwnServicePortsAreDropped) {
    EXPECT_EQ(filter().rejectReason(udp("192.168.1.20", 8080)), "service port");
    EXPECT_EQ(filter().rejectReason(
                  "candidate:2 1 tcp 1518280447 192.168.1.20 6379 typ host tcptype passive"),
              "service port");
}

TEST(CandidateFilterTest, LoopbackOnlyWhenAllowed) {
    EXPECT_EQ(filter(true).rejectReason(udp("127.0.0.1", 50000)), "");
    EXPECT_EQ(filter(true).rejectReason(udp("::1", 50000)), "");
    EXPECT_EQ(filter(true).rejectReason(udp("127.0.0.1", 8080)), "service port");
    EXPECT_EQ(filter(true).rejectReason(udp("169.254.1.1", 50000)), "link-local");
}

TEST(CandidateFilterTest, GarbageIsRefusedNotCrashed) {
    EXPECT_EQ(filter().rejectReason("hello"), "not a candidate");
    EXPECT_EQ(filter().rejectReason("candidate:"), "malformed");
    EXPECT_EQ(filter().rejectReason("candidate:1 1 udp 1 10.0.0.1 notaport typ host"),
              "malformed port");
    EXPECT_EQ(filter().rejectReason("candidate:1 1 udp 1 10.0.0.1 70000 typ host"),
              "malformed port");
    EXPECT_EQ(filter().rejectReason("candidate:1 1 udp 1 10.0.0.1 5000 type host"), "malformed");
    EXPECT_EQ(filter().rejectReason(std::string(2000, 'x')), "not a candidate");
}

TEST(CandidateFilterTest, ConfigGivesTheHttpAndRedisPorts) {
    common::Config config;
    config.server.port = 9443;
    config.redis.url = "redis://10.0.0.9:6390/0";
    auto f = CandidateFilter::fromConfig(config);
    EXPECT_EQ(f.rejectReason(udp("10.0.0.5", 9443)), "service port");
    EXPECT_EQ(f.rejectReason(udp("10.0.0.5", 6390)), "service port");
    EXPECT_EQ(f.rejectReason(udp("127.0.0.1", 50000)), "loopback");
    config.media.allowLoopbackCandidates = true;
    EXPECT_EQ(CandidateFilter::fromConfig(config).rejectReason(udp("127.0.0.1", 50000)), "");
}

}  // namespace
}  // namespace vigil::signaling
