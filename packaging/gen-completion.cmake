# Fills the cause ids and probe names into the bash completion (cmake -P).
# In: IN (template), OUT, CLI (the built vpndoctor), PROBES_DIR (probes/).
execute_process(COMMAND ${CLI} causes --json
	OUTPUT_VARIABLE json RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
	message(FATAL_ERROR "${CLI} causes --json failed (${rc})")
endif()
string(JSON n LENGTH "${json}" causes)
if(n EQUAL 0)
	message(FATAL_ERROR "vpndoctor causes --json listed no cause")
endif()
set(causes "")
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
	string(JSON id GET "${json}" causes ${i} id)
	list(APPEND causes ${id})
endforeach()

# The probe table: every probes/*.c defines one `struct probe` whose .name is
# what Check accepts.
file(GLOB srcs ${PROBES_DIR}/*.c)
set(probes "")
foreach(src ${srcs})
	file(STRINGS ${src} lines REGEX "^\t\\.name = \"[a-z0-9-]+\",")
	foreach(l ${lines})
		string(REGEX REPLACE "^\t\\.name = \"([a-z0-9-]+)\",.*" "\\1" p "${l}")
		list(APPEND probes ${p})
	endforeach()
endforeach()
list(SORT probes)
if(NOT probes)
	message(FATAL_ERROR "no probe name found in ${PROBES_DIR}")
endif()

string(REPLACE ";" " " VD_CAUSES "${causes}")
string(REPLACE ";" " " VD_PROBES "${probes}")
configure_file(${IN} ${OUT} @ONLY)
