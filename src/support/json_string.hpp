// Appending a string as a JSON string literal: quoted, escaped, UTF-8 passed through.
// Shared by the compiler's JSON diagnostics and the CLI's JSON Lines output.
#ifndef PARLEY_SRC_SUPPORT_JSON_STRING_HPP_INCLUDED
#define PARLEY_SRC_SUPPORT_JSON_STRING_HPP_INCLUDED

#include <string>
#include <string_view>

namespace parley::support {

inline void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t plain = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.data() + plain, i - plain);
        plain = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 15]);
        }
    }
    out.append(s.data() + plain, s.size() - plain);
    out.push_back('"');
}

}  // namespace parley::support

#endif
