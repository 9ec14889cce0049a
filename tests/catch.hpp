// Catch2 as Debian ships it (v2, single header); one place to switch to v3's headers.
#ifndef PARLEY_TESTS_CATCH_HPP_INCLUDED
#define PARLEY_TESTS_CATCH_HPP_INCLUDED
#if __has_include(<catch2/catch_all.hpp>) && !__has_include(<catch2/catch.hpp>)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
#endif
