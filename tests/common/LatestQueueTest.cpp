#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "vigil/common/LatestQueue.hpp"

using vigil::common::LatestQueue;
using Pushed = LatestQueue<std::string, int>::Pushed;

TEST(LatestQueueTest, NewestItemOfAKeyReplacesTheWaitingOneInPlace) {
    LatestQueue<std::string, int> q(8);
    EXPECT_EQ(q.push("a", 1), Pushed::Queued);
    EXPECT_EQ(q.push("b", 1), Pushed::Queued);
    EXPECT_EQ(q.push("a", 2), Pushed::Replaced);
    EXPECT_EQ(q.size(), 2u);
    auto first = q.pop();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->first, "a");
    EXPECT_EQ(first->second, 2);
    auto second = q.pop();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->first, "b");
    EXPECT_EQ(q.replaced(), 1u);
}

TEST(LatestQueueTest, WhenFullTheOldestKeyIsDroppedAndCounted) {
    LatestQueue<std::string, int> q(2);
    q.push("a", 1);
    q.push("b", 2);
    EXPECT_EQ(q.push("c", 3), Pushed::DroppedOldest);
    EXPECT_EQ(q.size(), 2u);
    EXPECT_EQ(q.dropped(), 1u);
    EXPECT_EQ(q.pop()->first, "b");
    EXPECT_EQ(q.pop()->first, "c");
}

TEST(LatestQueueTest, CloseWakesWaitingConsumersAndRefusesPushes) {
    LatestQueue<std::string, int> q(4);
    std::atomic<int> ended{0};
    std::vector<std::thread> consumers;
    for (int i = 0; i < 3; ++i) {
        consumers.emplace_back([&] {
            while (q.pop()) {
            }
            ++ended;
        });
    }
    q.push("a", 1);
    q.close();
    for (auto& t : consumers) t.join();
    EXPECT_EQ(ended.load(), 3);
    EXPECT_EQ(q.push("b", 2), Pushed::Closed);
}

TEST(LatestQueueTest, ManyProducersNeverExceedCapacityAndEveryKeySurvivesWhenRoomAllows) {
    LatestQueue<int, int> q(16);
    std::vector<std::thread> producers;
    for (int p = 0; p < 4; ++p) {
        producers.emplace_back([&q, p] {
            for (int i = 0; i < 1000; ++i) q.push(p * 4 + i % 4, i);
        });
    }
    for (auto& t : producers) t.join();
    EXPECT_EQ(q.size(), 16u);
    EXPECT_EQ(q.dropped(), 0u);
    int seen = 0;
    while (q.size() > 0) {
        auto item = q.pop();
        ASSERT_TRUE(item);
        EXPECT_GE(item->second, 996);  // The newest of each key.
        ++seen;
    }
    EXPECT_EQ(seen, 16);
}
