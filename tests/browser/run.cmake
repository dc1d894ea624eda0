# Runs the browser tests with Node's test runner, one file at a time, after checking that
# what they need is installed. Called by ctest (tests/browser/CMakeLists.txt) with
# -DVIGIL_BIN=... -DVIGIL_BROWSER_ARTIFACTS=... -DVIGIL_SOURCE_DIR=... and
# -DVIGIL_BROWSER_TEST=<name>.test.mjs for one file; every file without it.
cmake_minimum_required(VERSION 3.25)

set(dir "${VIGIL_SOURCE_DIR}/tests/browser")
find_program(NODE node)
if(NOT NODE)
  message(FATAL_ERROR "browser_e2e: Node.js (node) is not installed: run scripts/setup")
endif()
execute_process(COMMAND "${NODE}" --version OUTPUT_VARIABLE node_version OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REGEX REPLACE "^v" "" node_version "${node_version}")
if(node_version VERSION_LESS 20.10)
  message(FATAL_ERROR "browser_e2e: Node.js ${node_version} is too old (the test runner needs 20.10 or newer)")
endif()
if(NOT EXISTS "${VIGIL_SOURCE_DIR}/node_modules/playwright-core/package.json")
  message(FATAL_ERROR "browser_e2e: ${VIGIL_SOURCE_DIR}/node_modules/playwright-core is missing: "
                      "run scripts/setup (or `npm ci` at the repository root)")
endif()
if(NOT EXISTS "/usr/bin/chromium" AND NOT DEFINED ENV{VIGIL_CHROMIUM})
  message(FATAL_ERROR "browser_e2e: Chromium (/usr/bin/chromium) is not installed: run scripts/setup")
endif()

set(ENV{VIGIL_BIN} "${VIGIL_BIN}")
set(ENV{VIGIL_BROWSER_ARTIFACTS} "${VIGIL_BROWSER_ARTIFACTS}")
if(DEFINED VIGIL_BROWSER_TEST)
  set(tests "${dir}/${VIGIL_BROWSER_TEST}")  # one file, as ctest runs them
else()
  file(GLOB tests "${dir}/*.test.mjs")
  list(SORT tests)
endif()
file(MAKE_DIRECTORY "${VIGIL_BROWSER_ARTIFACTS}")
execute_process(
  COMMAND "${NODE}" --test --test-concurrency=1 ${tests}
  WORKING_DIRECTORY "${VIGIL_SOURCE_DIR}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "browser_e2e: node --test failed (${result}); screenshots, console "
                      "logs and server logs are in ${VIGIL_BROWSER_ARTIFACTS}")
endif()
