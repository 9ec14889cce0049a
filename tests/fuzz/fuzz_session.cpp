// Random utterance sequences against the default script: labels, confidences, slots, time,
// languages, snapshot/restore and reset in between; an ended call goes on as a new call on the
// same session. Every session_error is a clean refusal; anything
// else (a crash, a sanitizer report, a restored session that answers differently) is a bug.
#include <parley/compiler.hpp>
#include <parley/session.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {
const parley::script& script() {
    static const parley::script s = parley::load(PARLEY_SOURCE_DIR "/rules/callcenter.rules");
    return s;
}

class input {
public:
    input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool empty() const { return pos_ >= size_; }
    std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    std::string text() {
        const std::size_t n = byte() % 24;
        std::string s;
        for (std::size_t i = 0; i < n && !empty(); ++i) s.push_back(static_cast<char>(byte()));
        return s;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto& s = script();
    input in(data, size);
    parley::session call(s);
    double clock = 0;
    while (!in.empty()) {
        if (call.ended()) call.reset();
        const auto op = in.byte();
        try {
            switch (op % 10) {
                case 0: (void)call.start(); break;
                case 1: {
                    clock += in.byte() / 4.0;
                    call.advance(clock, [](const parley::reply& r) { (void)r.phrase.size(); });
                    break;
                }
                case 2: {
                    const auto bytes = call.snapshot();
                    auto copy = parley::session::restore(s, bytes);
                    if (copy.snapshot() != bytes) std::abort();
                    call = std::move(copy);
                    break;
                }
                case 3: call.set_language(in.byte() % 2 ? "en" : in.text()); break;
                case 4: {
                    auto name = in.text();
                    (void)call.step(name, in.byte() / 255.0);
                    break;
                }
                case 5: call.reset(); break;
                case 6: {  // a value the session handed out, passed back to it
                    const parley::slot_value slots[] = {{"name", call.slot(in.byte() % 2 ? "name" : "topic")}};
                    (void)call.step(static_cast<parley::label_id>(in.byte() % s.label_count()), 1.0, slots);
                    break;
                }
                default: {
                    const auto label = static_cast<parley::label_id>(in.byte() % (s.label_count() + 1));
                    const std::string name = in.text(), value = in.text();
                    const parley::slot_value slots[] = {{"name", value}, {name, value}};
                    (void)call.step(label, in.byte() / 250.0, slots);
                }
            }
        } catch (const parley::session_error&) {}
    }
    return 0;
}
