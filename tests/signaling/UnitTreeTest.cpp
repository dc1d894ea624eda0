#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "vigil/signaling/UnitTree.hpp"

namespace vigil::signaling {
namespace {

using Parents = std::map<std::string, std::string>;

// province > city > county > township, with a sibling branch under the province.
UnitTree sampleTree() {
    return UnitTree(Parents{{"prov", ""},
                            {"city1", "prov"},
                            {"county1", "city1"},
                            {"town1", "county1"},
                            {"town2", "county1"},
                            {"city2", "prov"},
                            {"county2", "city2"}});
}

TEST(UnitTreeTest, UnitIsWithinItself) {
    auto tree = sampleTree();
    EXPECT_TRUE(tree.isWithin("prov", "prov"));
    EXPECT_TRUE(tree.isWithin("county1", "county1"));
}

TEST(UnitTreeTest, DescendantsAreWithinAncestors) {
    auto tree = sampleTree();
    EXPECT_TRUE(tree.isWithin("town1", "county1"));
    EXPECT_TRUE(tree.isWithin("town1", "city1"));
    EXPECT_TRUE(tree.isWithin("town1", "prov"));
    EXPECT_TRUE(tree.isWithin("county2", "prov"));
}

TEST(UnitTreeTest, AncestorsAndSiblingsAreNotWithin) {
    auto tree = sampleTree();
    EXPECT_FALSE(tree.isWithin("city1", "county1"));
    EXPECT_FALSE(tree.isWithin("prov", "town1"));
    EXPECT_FALSE(tree.isWithin("city2", "city1"));
    EXPECT_FALSE(tree.isWithin("county2", "city1"));
    EXPECT_FALSE(tree.isWithin("town2", "town1"));
}

TEST(UnitTreeTest, EmptyAndUnknownUnitsAreNotWithin) {
    auto tree = sampleTree();
    EXPECT_FALSE(tree.isWithin("", "prov"));
    EXPECT_FALSE(tree.isWithin("town1", ""));
    EXPECT_FALSE(tree.isWithin("", ""));
    EXPECT_FALSE(tree.isWithin("nowhere", "prov"));
    EXPECT_FALSE(tree.isWithin("town1", "nowhere"));
}

TEST(UnitTreeTest, ParentOfAndContains) {
    auto tree = sampleTree();
    EXPECT_EQ(tree.parentOf("town1"), "county1");
    EXPECT_EQ(tree.parentOf("prov"), "");
    EXPECT_EQ(tree.parentOf("nowhere"), "");
    EXPECT_TRUE(tree.contains("county2"));
    EXPECT_FALSE(tree.contains("nowhere"));
}

TEST(UnitTreeTest, CycleInCorruptDataEndsTheWalk) {
    UnitTree twoCycle(Parents{{"a", "b"}, {"b", "a"}});
    EXPECT_FALSE(twoCycle.isWithin("a", "elsewhere"));
    EXPECT_TRUE(twoCycle.isWithin("a", "b"));
    EXPECT_TRUE(twoCycle.isWithin("b", "a"));

    UnitTree selfLoop(Parents{{"a", "a"}});
    EXPECT_FALSE(selfLoop.isWithin("a", "elsewhere"));
    EXPECT_TRUE(selfLoop.isWithin("a", "a"));

    // A chain that runs into a cycle further up.
    UnitTree tail(
        Parents{{"leaf", "mid"}, {"mid", "x"}, {"x", "y"}, {"y", "z"}, {"z", "x"}, {"root", ""}});
    EXPECT_FALSE(tail.isWithin("leaf", "root"));
    EXPECT_TRUE(tail.isWithin("leaf", "z"));
    EXPECT_FALSE(tail.isWithin("x", "leaf"));
}

TEST(UnitTreeTest, SubtreeHoldsRootAndEverythingBelow) {
    auto tree = sampleTree();
    EXPECT_EQ(tree.subtree("city1"), (std::set<std::string>{"city1", "county1", "town1", "town2"}));
    EXPECT_EQ(tree.subtree("county2"), (std::set<std::string>{"county2"}));
    EXPECT_EQ(tree.subtree("prov").size(), 7u);
    EXPECT_TRUE(tree.subtree("nowhere").empty());
    EXPECT_TRUE(tree.subtree("").empty());
}

TEST(UnitTreeTest, SubtreeOfCorruptDataTerminates) {
    UnitTree tree(Parents{{"a", "b"}, {"b", "c"}, {"c", "a"}, {"d", "a"}, {"e", ""}});
    EXPECT_EQ(tree.subtree("a"), (std::set<std::string>{"a", "b", "c", "d"}));
    EXPECT_EQ(tree.subtree("e"), (std::set<std::string>{"e"}));
}

}  // namespace
}  // namespace vigil::signaling
