#include "vigil/common/Metrics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace vigil::common {

namespace {

// Label values are escaped as the text format requires: backslash, quote and newline.
std::string escapeLabel(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string escapeHelp(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

// `a="x",b="y"` (without braces), in the order given.
std::string labelText(const MetricLabels& labels) {
    std::string out;
    for (const auto& [name, value] : labels) {
        if (!out.empty()) out += ',';
        out += name + "=\"" + escapeLabel(value) + "\"";
    }
    return out;
}

std::string number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

std::string series(const std::string& name, const std::string& labels) {
    return labels.empty() ? name : name + "{" + labels + "}";
}

std::string withLabel(const std::string& labels, const std::string& extra) {
    return labels.empty() ? extra : labels + "," + extra;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
    std::sort(bounds_.begin(), bounds_.end());
    for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double value) {
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    buckets_[static_cast<size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative() const {
    std::vector<std::uint64_t> out(bounds_.size() + 1);
    std::uint64_t running = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        out[i] = running;
    }
    return out;
}

const std::vector<double>& Metrics::latencyBuckets() {
    static const std::vector<double> kBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
    return kBounds;
}

Metrics::Registration& Metrics::Registration::operator=(Registration&& other) noexcept {
    if (this != &other) {
        reset();
        metrics_ = std::exchange(other.metrics_, nullptr);
        id_ = std::exchange(other.id_, 0);
    }
    return *this;
}

void Metrics::Registration::reset() {
    if (metrics_ != nullptr) metrics_->removeCallback(id_);
    metrics_ = nullptr;
    id_ = 0;
}

Metrics& Metrics::global() {
    // Never destroyed: counters may be touched by threads still running at exit.
    static auto* metrics = new Metrics();
    return *metrics;
}

Metrics::Family& Metrics::family(const std::string& name, const std::string& help, Type type) {
    auto [it, inserted] = families_.try_emplace(name);
    if (inserted) {
        it->second.type = type;
        it->second.help = help;
    } else if (it->second.type != type) {
        throw std::logic_error("metric " + name + " is registered with another type");
    }
    return it->second;
}

Counter& Metrics::counter(const std::string& name, const std::string& help,
                          const MetricLabels& labels) {
    std::lock_guard lock(mutex_);
    auto& slot = family(name, help, Type::Counter).counters[labelText(labels)];
    if (!slot) slot = std::make_unique<Counter>();
    return *slot;
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help,
                      const MetricLabels& labels) {
    std::lock_guard lock(mutex_);
    auto& slot = family(name, help, Type::Gauge).gauges[labelText(labels)];
    if (!slot) slot = std::make_unique<Gauge>();
    return *slot;
}

Histogram& Metrics::histogram(const std::string& name, const std::string& help,
                              const std::vector<double>& bounds, const MetricLabels& labels) {
    std::lock_guard lock(mutex_);
    auto& slot = family(name, help, Type::Histogram).histograms[labelText(labels)];
    if (!slot) slot = std::make_unique<Histogram>(bounds);
    return *slot;
}

Metrics::Registration Metrics::gaugeCallback(const std::string& name, const std::string& help,
                                             std::function<double()> read,
                                             const MetricLabels& labels) {
    std::lock_guard lock(mutex_);
    const std::uint64_t id = nextId_++;
    family(name, help, Type::Gauge).callbacks[id] = {labelText(labels), std::move(read)};
    callbackNames_[id] = name;
    return Registration(this, id);
}

void Metrics::removeCallback(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    auto it = callbackNames_.find(id);
    if (it == callbackNames_.end()) return;
    families_[it->second].callbacks.erase(id);
    callbackNames_.erase(it);
}

std::string Metrics::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, f] : families_) {
        static const char* const kTypeNames[] = {"counter", "gauge", "histogram"};
        out += "# HELP " + name + " " + escapeHelp(f.help) + "\n";
        out += "# TYPE " + name + " " + kTypeNames[static_cast<int>(f.type)] + "\n";
        for (const auto& [labels, c] : f.counters)
            out += series(name, labels) + " " + number(c->value()) + "\n";
        for (const auto& [labels, g] : f.gauges)
            out += series(name, labels) + " " + number(g->value()) + "\n";
        // Several callbacks under the same labels (e.g. two nodes in one test process) add up.
        std::map<std::string, double> computed;
        for (const auto& [id, cb] : f.callbacks) computed[cb.first] += cb.second();
        for (const auto& [labels, v] : computed)
            out += series(name, labels) + " " + number(v) + "\n";
        for (const auto& [labels, h] : f.histograms) {
            auto counts = h->cumulative();
            for (size_t i = 0; i < h->bounds().size(); ++i) {
                out += series(name + "_bucket",
                              withLabel(labels, "le=\"" + number(h->bounds()[i]) + "\"")) +
                       " " + std::to_string(counts[i]) + "\n";
            }
            out += series(name + "_bucket", withLabel(labels, "le=\"+Inf\"")) + " " +
                   std::to_string(counts.back()) + "\n";
            out += series(name + "_sum", labels) + " " + number(h->sum()) + "\n";
            out += series(name + "_count", labels) + " " + std::to_string(counts.back()) + "\n";
        }
    }
    return out;
}

}  // namespace vigil::common
