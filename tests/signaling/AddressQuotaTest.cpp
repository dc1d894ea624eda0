#include <gtest/gtest.h>

#include "vigil/signaling/AddressQuota.hpp"

using vigil::signaling::AddressQuota;

TEST(AddressQuotaTest, CountsOpenConnectionsPerAddress) {
    AddressQuota quota(2);
    int a = 0, b = 0, c = 0;
    EXPECT_TRUE(quota.allows("10.0.0.1"));
    quota.opened(&a, "10.0.0.1");
    quota.opened(&b, "10.0.0.1");
    EXPECT_FALSE(quota.allows("10.0.0.1"));
    EXPECT_TRUE(quota.allows("10.0.0.2"));  // Another address has its own allowance.
    quota.opened(&c, "10.0.0.2");
    quota.closed(&a);
    EXPECT_TRUE(quota.allows("10.0.0.1"));
    EXPECT_EQ(quota.openFrom("10.0.0.1"), 1u);
    // A connection told twice, or closed twice, counts once.
    quota.opened(&b, "10.0.0.1");
    quota.closed(&b);
    quota.closed(&b);
    EXPECT_EQ(quota.openFrom("10.0.0.1"), 0u);
    EXPECT_EQ(quota.openFrom("10.0.0.2"), 1u);
}

TEST(AddressQuotaTest, ZeroMeansNoLimit) {
    AddressQuota quota(0);
    int conns[5];
    for (int& c : conns) quota.opened(&c, "127.0.0.1");
    EXPECT_TRUE(quota.allows("127.0.0.1"));
}
