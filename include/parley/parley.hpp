// The umbrella header: the runtime and the compiler interface.
#ifndef PARLEY_PARLEY_HPP_INCLUDED
#define PARLEY_PARLEY_HPP_INCLUDED

#include <parley/compiler.hpp>
#include <parley/diagnostic.hpp>
#include <parley/graph.hpp>
#include <parley/outline.hpp>
#include <parley/screen.hpp>
#include <parley/script.hpp>
#include <parley/session.hpp>

#endif
