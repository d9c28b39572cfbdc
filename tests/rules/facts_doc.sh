#!/bin/sh
# facts_doc.sh CHECKED-IN GENERATED: docs/facts.md is what the facts definition
# gives (docs/gen-facts-doc.c at build time); fails with the difference.
diff -u "${1:?usage: facts_doc.sh CHECKED-IN GENERATED}" "${2:?}" && exit 0
echo "FAIL: $1 is not what include/vpndoctor/facts.def and docs/facts.md.in give;" >&2
echo "      cmake --build BUILD --target facts-doc-update copies the generated one over it" >&2
exit 1
