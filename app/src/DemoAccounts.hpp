#pragma once
// The demo organisation's accounts: `vigil demo seed` creates them, all with one published
// password, and `vigil serve` warns while any of them still has it.

#include "vigil/signaling/Model.hpp"

namespace vigil::app {

inline constexpr const char* kDemoPassword = "Demo!2026";

struct DemoUser {
    const char* username;
    const char* name;
    signaling::Role role;
    const char* unit;
    const char* officer;  // username
};

inline constexpr DemoUser kDemoUsers[] = {
    {"admin", "省局管理员", signaling::Role::Administrator, "zj", ""},
    {"officer.li", "李警官", signaling::Role::Officer, "zj-hz-xh", ""},
    {"officer.wang", "王警官", signaling::Role::Officer, "zj-hz-xh-zt", ""},
    {"subject01", "张伟", signaling::Role::Subject, "zj-hz-xh-zt", "officer.wang"},
    {"subject02", "王芳", signaling::Role::Subject, "zj-hz-xh-zt", "officer.wang"},
    {"subject03", "刘洋", signaling::Role::Subject, "zj-hz-xh-zt", "officer.wang"},
    {"subject04", "陈静", signaling::Role::Subject, "zj-hz-xh", "officer.li"},
    {"subject05", "赵磊", signaling::Role::Subject, "zj-hz-xh", "officer.li"},
};

}  // namespace vigil::app
