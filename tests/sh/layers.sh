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
mv "$L/ops.c" "$L/nn/ops.c"
rm "$L/nn/newmod.c"
check layers_copy_passes_again "$CHK" "$L"
# arrows that no include shows: a lower layer calling up (without including
# the header), a header declaring what a higher layer defines (the f16
# conversions once sat in io/safetensors.c under common/tensor.h), a circle
printf 'void ft_up_probe(void);\nvoid ft_up_probe2(void) { ft_up_probe(); }\n' >> "$L/common/util.c"
printf 'void ft_up_probe(void) { }\n' >> "$L/run/generate.c"
"$CHK" "$L" > "$TMP/out" 2>&1
check layers_use_upward_fails sh -c '[ $1 != 0 ] && grep -q "util.c (common) uses ft_up_probe of .*generate.c (run)" "$2"' _ $? "$TMP/out"
cp "$FT_ROOT/lib/common/util.c" "$L/common/util.c"
printf 'float ft_half_probe(unsigned short h);\n' >> "$L/common/tensor.h"
printf 'float ft_half_probe(unsigned short h) { return h; }\n' >> "$L/io/safetensors.c"
"$CHK" "$L" > "$TMP/out" 2>&1
check layers_declared_below_defined_above_fails sh -c '[ $1 != 0 ] && grep -q "tensor.h (common) declares ft_half_probe, defined in .*safetensors.c (io)" "$2"' _ $? "$TMP/out"
cp "$FT_ROOT/lib/common/tensor.h" "$L/common/tensor.h"
cp "$FT_ROOT/lib/io/safetensors.c" "$L/io/safetensors.c"
printf 'void ft_circle_probe(void) { ft_fsync_path("."); }\n' >> "$L/common/util.c"
"$CHK" "$L" > "$TMP/out" 2>&1
check layers_circle_fails sh -c '[ $1 != 0 ] && grep -q "modules in a circle" "$2" && grep -q "util uses ft_fsync_path of publish" "$2"' _ $? "$TMP/out"
