#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "vigil/common/Metrics.hpp"

using vigil::common::Metrics;

namespace {
bool contains(const std::string& text, const std::string& line) {
    return text.find(line) != std::string::npos;
}
}  // namespace

TEST(MetricsTest, CountersAndGaugesRenderInTheTextFormatWithHelpAndType) {
    Metrics m;
    m.counter("vigil_test_total", "Things done.").inc();
    m.counter("vigil_test_total", "Things done.").inc(2);
    m.counter("vigil_test_total", "Things done.", {{"outcome", "no\"face"}}).inc();
    m.gauge("vigil_test_open", "Open things.").set(7);
    const std::string text = m.render();
    EXPECT_TRUE(contains(text, "# HELP vigil_test_total Things done.\n")) << text;
    EXPECT_TRUE(contains(text, "# TYPE vigil_test_total counter\n")) << text;
    EXPECT_TRUE(contains(text, "\nvigil_test_total 3\n")) << text;
    EXPECT_TRUE(contains(text, "vigil_test_total{outcome=\"no\\\"face\"} 1\n")) << text;
    EXPECT_TRUE(contains(text, "# TYPE vigil_test_open gauge\nvigil_test_open 7\n")) << text;
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
    Metrics m;
    auto& h = m.histogram("vigil_test_seconds", "Latency.", {0.1, 1.0});
    h.observe(0.05);
    h.observe(0.5);
    h.observe(0.5);
    h.observe(3.0);
    const std::string text = m.render();
    EXPECT_TRUE(contains(text, "vigil_test_seconds_bucket{le=\"0.1\"} 1\n")) << text;
    EXPECT_TRUE(contains(text, "vigil_test_seconds_bucket{le=\"1\"} 3\n")) << text;
    EXPECT_TRUE(contains(text, "vigil_test_seconds_bucket{le=\"+Inf\"} 4\n")) << text;
    EXPECT_TRUE(contains(text, "vigil_test_seconds_sum 4.05\n")) << text;
    EXPECT_TRUE(contains(text, "vigil_test_seconds_count 4\n")) << text;
}

TEST(MetricsTest, CallbackGaugesAreReadAtRenderAndGoWithTheirRegistration) {
    Metrics m;
    int open = 2;
    {
        auto reg = m.gaugeCallback("vigil_test_live", "Live things.", [&] { return open; });
        auto second = m.gaugeCallback("vigil_test_live", "Live things.", [] { return 1.0; });
        open = 5;
        EXPECT_TRUE(contains(m.render(), "vigil_test_live 6\n")) << m.render();
    }
    EXPECT_FALSE(contains(m.render(), "vigil_test_live 6")) << m.render();
}

TEST(MetricsTest, ANameIsOneTypeOnly) {
    Metrics m;
    m.counter("vigil_test_total", "x");
    EXPECT_THROW(m.gauge("vigil_test_total", "x"), std::logic_error);
}

TEST(MetricsTest, CountersAddUpAcrossThreads) {
    Metrics m;
    auto& c = m.counter("vigil_test_total", "x");
    auto& h = m.histogram("vigil_test_seconds", "x");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) {
                c.inc();
                h.observe(0.001);
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(c.value(), 40000.0);
    EXPECT_EQ(h.count(), 40000u);
}
