// Every inline function of the core lives in nncore::NNCORE_ISA, a namespace named after the
// SIMD target its translation unit is compiled for. Inline functions left out of line are weak
// symbols, and the linker keeps one copy per name for the whole module: without distinct
// namespaces an AVX-512 copy could serve the baseline path (SIGILL on older CPUs).
#pragma once

#ifndef NNCORE_ISA
#define NNCORE_ISA isa_generic
#endif
