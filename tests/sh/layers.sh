# scripts/check-layers: lib/LAYER/ keeps its layering (scripts/layers.txt); an
# include that reaches up, a module missing from the map, a file in the wrong
# folder and one outside any folder are each caught.
. "$FT_ROOT/tests/lib.sh"
CHK=$FT_ROOT/scripts/check-layers
check layers_lib_keeps_its_layers "$CHK"
# a copy of lib/ to break on purpose
L=$TMP/lib
cp -r "$FT_ROOT/lib" "$L"
check layers_copy_passes "$CHK" "$L"
echo '#include "trainer.h"' >> "$L/common/util.c"
"$CHK" "$L" > "$TMP/out" 2>&1
check layers_include_upward_fails sh -c '[ $1 != 0 ] && grep -q "util.c (common) includes trainer.h (run)" "$2"' _ $? "$TMP/out"
cp "$FT_ROOT/lib/common/util.c" "$L/common/util.c"
mv "$L/nn/ops.c" "$L/io/ops.c"
"$CHK" "$L" > "$TMP/out" 2>&1
check layers_wrong_folder_fails sh -c '[ $1 != 0 ] && grep -q "in io/ but .* puts ops in nn" "$2"' _ $? "$TMP/out"
mv "$L/io/ops.c" "$L/nn/ops.c"
echo 'int x;' > "$L/nn/newmod.c"
"$CHK" "$L" > "$TMP/out" 2>&1
check layers_unmapped_module_fails sh -c '[ $1 != 0 ] && grep -q "module newmod is not in" "$2"' _ $? "$TMP/out"
mv "$L/nn/ops.c" "$L/ops.c"
"$CHK" "$L" > "$TMP/out" 2>&1
check layers_outside_folder_fails sh -c '[ $1 != 0 ] && grep -q "not in a layer folder" "$2"' _ $? "$TMP/out"
