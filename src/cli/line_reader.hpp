// `parley run`'s input split into lines, with a limit on a line's length: a longer line is
// reported once and skipped as it streams past, never held in memory. The reader only reads
// when the caller asks (fill), so that the caller can answer and flush every complete line
// before it waits for more input on a pipe or a terminal.
#ifndef PARLEY_SRC_CLI_LINE_READER_HPP_INCLUDED
#define PARLEY_SRC_CLI_LINE_READER_HPP_INCLUDED

#include <simdjson.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace parley::cli {

class line_reader {
public:
    enum class got {
        line,      // a complete line, without its '\n' (and '\r'), followed by simdjson's padding
        too_long,  // a line longer than the limit, now skipped whole
        more,      // no complete line is buffered: fill() and ask again
        end,       // the input is over
    };

    // `chunk`: how much one fill() asks the source for.
    line_reader(std::size_t max_line, std::size_t chunk) : max_line_(max_line), chunk_(chunk) {}

    got next(std::string_view& line) {
        while (true) {
            const char* data = buffer_.data();
            const void* nl = begin_ < end_ ? std::memchr(data + begin_, '\n', end_ - begin_) : nullptr;
            if (skipping_) {
                if (nl) {
                    begin_ = static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1;
                    skipping_ = false;
                    return got::too_long;
                }
                begin_ = end_;
                if (eof_) {
                    skipping_ = false;
                    return got::too_long;
                }
                return got::more;
            }
            if (nl) {
                const auto at = static_cast<std::size_t>(static_cast<const char*>(nl) - data);
                line = std::string_view(data + begin_, at - begin_);
                begin_ = at + 1;
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                return line.size() > max_line_ ? got::too_long : got::line;
            }
            if (end_ - begin_ > max_line_ + 1) {  // + 1: room for a '\r' before the '\n'
                skipping_ = true;
                continue;
            }
            if (eof_) {
                if (begin_ == end_) return got::end;
                line = std::string_view(data + begin_, end_ - begin_);
                begin_ = end_;
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                return line.size() > max_line_ ? got::too_long : got::line;
            }
            return got::more;
        }
    }

    // Reads once from `source(char* to, std::size_t most)`, which returns the bytes read, 0 at
    // the end, or a negative number on an error (then fill returns false).
    template <class Source>
    bool fill(Source&& source) {
        // The partial line moves to the front; the buffer never holds more than one line's limit
        // and one chunk.
        const std::size_t kept = end_ - begin_;
        if (kept) std::memmove(buffer_.data(), buffer_.data() + begin_, kept);
        begin_ = 0;
        end_ = kept;
        if (buffer_.size() < end_ + chunk_ + simdjson::SIMDJSON_PADDING) buffer_.resize(end_ + chunk_ + simdjson::SIMDJSON_PADDING);
        const auto n = source(buffer_.data() + end_, chunk_);
        if (n < 0) return false;
        if (n == 0) eof_ = true;
        end_ += static_cast<std::size_t>(n);
        std::memset(buffer_.data() + end_, 0, simdjson::SIMDJSON_PADDING);
        return true;
    }

private:
    std::size_t max_line_, chunk_;
    std::string buffer_;
    std::size_t begin_ = 0, end_ = 0;
    bool eof_ = false, skipping_ = false;
};

}  // namespace parley::cli

#endif
