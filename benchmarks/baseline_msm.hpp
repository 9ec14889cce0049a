// rules/callcenter.rules written by hand with Boost.MSM; see baseline_msm.cpp. Boost 1.74's
// MSM does not compile as C++20 (a constructor is declared with a template-id), so the machine
// lives in its own C++17 translation unit and this class holds it in place, without a heap.
#ifndef PARLEY_BENCHMARKS_BASELINE_MSM_HPP_INCLUDED
#define PARLEY_BENCHMARKS_BASELINE_MSM_HPP_INCLUDED

#include "baseline.hpp"

#include <cstddef>

namespace parley::bench::hand {

class msm_call {
public:
    msm_call();
    msm_call(msm_call&& other) noexcept;
    msm_call& operator=(msm_call&& other) noexcept;
    msm_call(const msm_call&) = delete;
    msm_call& operator=(const msm_call&) = delete;
    ~msm_call();

    output start();
    output step(const input& in);
    [[nodiscard]] bool ended() const noexcept { return data_.ended; }

    static constexpr std::size_t machine_size = 152;  // checked in baseline_msm.cpp

private:
    struct machine;
    machine& get() noexcept;
    void bind() noexcept;

    call_data data_;
    alignas(8) unsigned char storage_[machine_size];
};

}  // namespace parley::bench::hand

#endif
