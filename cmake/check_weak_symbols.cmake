# Fails the build when the kernel objects of two SIMD targets define a weak symbol of the same
# name. The linker keeps one copy of such a symbol for the whole module, so one target would run
# another target's code (x86-64-v4 code on an AVX2 CPU: SIGILL; AVX2 code where AVX-512 was
# wanted: slow). The objects of one target may share weak symbols (the same code, compiled
# alike). Run by CMakeLists.txt after the core is built:
#   cmake -DNM=<nm> -DOBJECTS=#<target 1 obj1|obj2|...>#<target 2 objs>... -P check_weak_symbols.cmake
# OBJECTS arrives "#"-separated per target and "|"-separated within one (a ";" list would split
# the command line).
string(REPLACE "#" ";" GROUPS "${OBJECTS}")
list(REMOVE_ITEM GROUPS "")
set(seen "")
set(clashes "")
set(n_objects 0)
foreach(group IN LISTS GROUPS)
  string(REPLACE "|" ";" objs "${group}")
  list(REMOVE_ITEM objs "")
  set(mine "")
  foreach(obj IN LISTS objs)
    math(EXPR n_objects "${n_objects} + 1")
    execute_process(COMMAND "${NM}" --defined-only "${obj}" OUTPUT_VARIABLE out RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "nncore: ${NM} failed on ${obj}")
    endif()
    string(REPLACE "\n" ";" lines "${out}")
    foreach(line IN LISTS lines)
      # "<address> <type> <name>"; W/V/u: weak or unique symbols, the ones the linker merges.
      if(line MATCHES "^[0-9a-fA-F]* [WVu] (.+)$")
        set(name "${CMAKE_MATCH_1}")
        # The personality routine's reference is data, identical in every object.
        if(NOT name STREQUAL "DW.ref.__gxx_personality_v0")
          list(APPEND mine "${name}")
        endif()
      endif()
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES mine)
  foreach(name IN LISTS mine)
    list(FIND seen "${name}" at)
    if(NOT at EQUAL -1)
      list(APPEND clashes "${name}")
    endif()
  endforeach()
  list(APPEND seen ${mine})
endforeach()
list(LENGTH GROUPS n_groups)
if(clashes)
  list(REMOVE_DUPLICATES clashes)
  string(REPLACE ";" "\n  " text "${clashes}")
  message(FATAL_ERROR "nncore: the SIMD targets' kernels share weak symbols (the linker would "
                      "keep one copy for all targets):\n  ${text}")
endif()
message(STATUS "nncore: ${n_objects} kernel objects of ${n_groups} targets, no weak symbol shared "
               "between targets")
