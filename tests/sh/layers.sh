# scripts/check-layers: lib/ keeps its layering (scripts/layers.txt), flat or
# in lib/LAYER/ folders; an include that reaches up, a module missing from the
# map and a file in the wrong folder are each caught.
. "$FT_ROOT/tests/lib.sh"
CHK=$FT_ROOT/scripts/check-layers
check layers_lib_keeps_its_layers "$CHK"
# the same files moved into their layers' folders
L=$TMP/lib
grep -v '^[[:space:]]*#' "$FT_ROOT/scripts/layers.txt" | while IFS=: read -r layer mods; do
    [ -n "$layer" ] || continue
    mkdir -p "$L/$layer"
    for m in $mods; do cp "$FT_ROOT"/lib/$m.[ch] "$L/$layer/" 2>/dev/null; done
done
check layers_in_folders_pass "$CHK" "$L"
echo '#include "trainer.h"' >> "$L/common/util.c"
"$CHK" "$L" > "$TMP/out" 2>&1
check layers_include_upward_fails sh -c '[ $1 != 0 ] && grep -q "util.c (common) includes trainer.h (run)" "$2"' _ $? "$TMP/out"
cp "$FT_ROOT/lib/util.c" "$L/common/util.c"
mv "$L/nn/ops.c" "$L/io/ops.c"
"$CHK" "$L" > "$TMP/out" 2>&1
check layers_wrong_folder_fails sh -c '[ $1 != 0 ] && grep -q "in io/ but .* puts ops in nn" "$2"' _ $? "$TMP/out"
mv "$L/io/ops.c" "$L/nn/ops.c"
echo 'int x;' > "$L/nn/newmod.c"
"$CHK" "$L" > "$TMP/out" 2>&1
check layers_unmapped_module_fails sh -c '[ $1 != 0 ] && grep -q "module newmod is not in" "$2"' _ $? "$TMP/out"
