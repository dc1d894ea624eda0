#pragma once
// Process-wide counters, gauges and histograms, read out by GET /metrics in the Prometheus
// text format. One registry per process (as a Prometheus client's default registry): a
// component takes its metric once, keeps the reference, and updates it from any thread
// (the values are atomics). Gauges that are better computed than maintained (connections,
// rooms) are callbacks run when the registry is rendered, on the thread that renders it
// (the event loop), and are removed when their Registration handle is destroyed.
//
// Names follow Prometheus' conventions: `vigil_` prefix, `_total` for counters, base units
// (seconds, bytes). The list of names is in docs/api.md under GET /metrics.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace vigil::common {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
public:
    void inc(double by = 1.0) { value_.fetch_add(by, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0.0};
};

class Gauge {
public:
    void set(double v) { value_.store(v, std::memory_order_relaxed); }
    void inc(double by = 1.0) { value_.fetch_add(by, std::memory_order_relaxed); }
    void dec(double by = 1.0) { value_.fetch_sub(by, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0.0};
};

class Histogram {
public:
    // `bounds`: upper bounds of the buckets, ascending (the +Inf bucket is implicit).
    explicit Histogram(std::vector<double> bounds);
    void observe(double value);

    const std::vector<double>& bounds() const { return bounds_; }
    // Cumulative count per bound, then +Inf (= count()).
    std::vector<std::uint64_t> cumulative() const;
    std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
    double sum() const { return sum_.load(std::memory_order_relaxed); }

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // Owned; one per bound + Inf.
    std::atomic<std::uint64_t> count_{0};
    std::atomic<double> sum_{0.0};
};

class Metrics {
public:
    // Bucket bounds in seconds for latencies from a Redis round trip to a face comparison.
    static const std::vector<double>& latencyBuckets();

    // Removes a callback gauge when destroyed. Movable, not copyable.
    class Registration {
    public:
        Registration() = default;
        Registration(Metrics* metrics, std::uint64_t id) : metrics_(metrics), id_(id) {}
        Registration(Registration&& other) noexcept { *this = std::move(other); }
        Registration& operator=(Registration&& other) noexcept;
        Registration(const Registration&) = delete;
        Registration& operator=(const Registration&) = delete;
        ~Registration() { reset(); }
        void reset();

    private:
        Metrics* metrics_{nullptr};  // Passed by argument.
        std::uint64_t id_{0};
    };

    // The process's registry.
    static Metrics& global();

    // The same (name, labels) always returns the same object, alive as long as the registry.
    // A name is one type only: asking for it as another type throws std::logic_error.
    Counter& counter(const std::string& name, const std::string& help,
                     const MetricLabels& labels = {});
    Gauge& gauge(const std::string& name, const std::string& help, const MetricLabels& labels = {});
    Histogram& histogram(const std::string& name, const std::string& help,
                         const std::vector<double>& bounds = latencyBuckets(),
                         const MetricLabels& labels = {});
    // A gauge whose value `read` returns at render time (on the rendering thread).
    [[nodiscard]] Registration gaugeCallback(const std::string& name, const std::string& help,
                                             std::function<double()> read,
                                             const MetricLabels& labels = {});

    // Prometheus text exposition format 0.0.4.
    std::string render() const;
    static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

private:
    enum class Type { Counter, Gauge, Histogram };
    struct Family {
        Type type{Type::Counter};
        std::string help;
        std::map<std::string, std::unique_ptr<Counter>> counters;  // by rendered labels
        std::map<std::string, std::unique_ptr<Gauge>> gauges;
        std::map<std::string, std::unique_ptr<Histogram>> histograms;
        std::map<std::uint64_t, std::pair<std::string, std::function<double()>>> callbacks;
    };

    Family& family(const std::string& name, const std::string& help, Type type);
    void removeCallback(std::uint64_t id);

    mutable std::mutex mutex_;
    std::map<std::string, Family> families_;
    std::map<std::uint64_t, std::string> callbackNames_;  // id -> family name
    std::uint64_t nextId_{1};
};

}  // namespace vigil::common
