#pragma once
// The table ws_load prints at the end, and the small formatting helpers it needs.

#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace ws_load {

// Two columns under section headings, aligned when printed.
class Table {
public:
    void section(std::string title);
    void row(std::string label, std::string value);
    void print(std::ostream& out) const;

private:
    struct Line {
        bool heading;
        std::string label;
        std::string value;
    };
    std::vector<Line> lines_;
};

// Nearest-rank percentile (0 < p <= 100) of `values`; 0 for none.
double percentile(std::vector<double> values, double p);

// "p50 1.2 ms, p90 3.4 ms, p99 8.0 ms, max 12.5 ms (n=2000)", or "-" for none.
std::string latencySummary(const std::vector<double>& ms);
std::string fixed(double value, int decimals);
std::string mebibytes(long kib);
// "none", or "code xN, code xN".
std::string counts(const std::map<std::string, int>& byReason);

}  // namespace ws_load
