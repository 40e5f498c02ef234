# The ft stream and ft-cat: round trips, compression, and every kind of bad input.
. "$FT_ROOT/tests/lib.sh"
MED=$SHARED/data/medical/medical_texts.csv
cd "$TMP"

# CSV -> stream -> CSV is byte-identical; JSONL views agree across formats.
ft-cat -o m.ft "$MED"
ft-cat -o m.ftz m.ft
ft-cat m.ft | ft-cat -o back.csv
check csv_stream_csv_identical cmp -s back.csv "$MED"
check zstd_smaller [ "$(wc -c < m.ftz)" -lt "$(wc -c < m.ft)" ]
check zstd_read_transparently sh -c 'ft-cat m.ftz | cmp -s - "$1"' _ "$(ft-cat m.ft > plain.jsonl; echo plain.jsonl)"
check count_matches_csv [ "$(ft-cat m.ft | wc -l)" -eq "$(($(wc -l < "$MED") - 1))" ]

# stream -> JSONL -> stream keeps every value; integer tensors of any dtype,
# empty ones too, print as plain arrays (jq works on all of them), other
# dtypes as {"dtype","shape","data"}.
cat > t.jsonl <<'J'
{"input_ids":[101,2769,102],"mask":[[1,1],[1,0]],"x":[0.5,-1.25,3e-08],"s":"a\"b\\c\n\u0001","n":null,"b":true,"i":-7,"f":0.1,"l":["x",1],"m":{"k":[1,2]}}
{"h":{"dtype":"bf16","shape":[2],"data":[1.5,-2.0]},"g":{"dtype":"i64","shape":[1],"data":[9007199254740993]},"u":{"dtype":"u8","shape":[3],"data":[0,7,255]},"e":{"dtype":"f16","shape":[0],"data":[]}}
{"w":{"dtype":"u16","shape":[2],"data":[0,65535]},"v":{"dtype":"i16","shape":[2],"data":[-100,32767]},"z":{"dtype":"u16","shape":[0],"data":[]},"y":[]}
J
cat > want.jsonl <<'J'
{"input_ids":[101,2769,102],"mask":[[1,1],[1,0]],"x":[0.5,-1.25,3e-08],"s":"a\"b\\c\n\u0001","n":null,"b":true,"i":-7,"f":0.1,"l":["x",1],"m":{"k":[1,2]}}
{"h":{"dtype":"bf16","shape":[2],"data":[1.5,-2.0]},"g":[9007199254740993],"u":[0,7,255],"e":{"dtype":"f16","shape":[0],"data":[]}}
{"w":[0,65535],"v":[-100,32767],"z":[],"y":[]}
J
ft-cat -s t.jsonl > t.ft
ft-cat t.ft > t2.jsonl
ft-cat -s t2.jsonl > t2.ft
check jsonl_int_tensors_plain cmp -s want.jsonl t2.jsonl
check jsonl_roundtrip_text sh -c 'ft-cat t2.ft | cmp -s - t2.jsonl'
check jq_length_of_empty_ids sh -c '[ "$(ft-cat t.ft | tail -1 | jq -c "[(.z|length), (.y|length), (.w|length)]")" = "[0,0,2]" ]'
check stream_roundtrip_bytes sh -c 'ft-cat t.ft | cmp -s - t2.jsonl'
check jq_sees_arrays sh -c '[ "$(ft-cat t.ft | head -1 | jq -c .input_ids)" = "[101,2769,102]" ]'

# --header shows header and trailer, and --to-stream restores the header.
ft-cat --header m.ft | ft-cat -s > m2.ft
check header_line sh -c 'ft-cat --header m.ft | head -1 | jq -e ".ft_header.kind == \"records\"" > /dev/null'
check trailer_line sh -c 'ft-cat --header m.ft | tail -1 | jq -e ".ft_trailer.count == 4533" > /dev/null'
check header_restored sh -c 'ft-cat --header m2.ft | head -1 | grep -q "\"-o\",\"m.ft\""'

# concatenated streams read as one
cat t.ft t.ft > tt.ft
check concatenated_streams [ "$(ft-cat tt.ft | wc -l)" -eq 6 ]

# CSV dialect: BOM, CRLF, quotes, embedded newlines; TSV
printf '\357\273\277text,label\r\n"a, ""quoted""\r\nline",1\r\nplain,2\r\n' > d.csv
check csv_bom_crlf_quotes sh -c '[ "$(ft-cat d.csv | jq -c .text | head -1)" = "\"a, \\\"quoted\\\"\\r\\nline\"" ] && [ "$(ft-cat d.csv | jq -r .label | tr -d "\n")" = "12" ]'
printf 'a,b\r1,"x\ry"\r3,4\r' > cr.csv
check csv_lone_cr_rows sh -c '[ "$(ft-cat cr.csv | jq -c "[.a,.b]" | tr -d "\n")" = "[\"1\",\"x\\ry\"][\"3\",\"4\"]" ]'
printf 'a,b\r1,2\r3\r' > cr2.csv
expect_fail csv_lone_cr_line_numbers 'cr2.csv:3: row has 1 fields' ft-cat cr2.csv
printf 'text\tlabel\nhello, world\t3\n' > d.tsv
check tsv_detected sh -c '[ "$(ft-cat d.tsv | jq -r .text)" = "hello, world" ]'

# Bad input: a clear message naming the place, non-zero exit, no output left.
head -c 300000 m.ft > trunc.ft
expect_fail truncated_stream 'truncated stream after [0-9]* records' ft-cat trunc.ft
$PY -c "import sys; d=open('m.ft','rb').read(); i=d.find('2008'.encode()); open('corrupt.ft','wb').write(d[:i]+b'3'+d[i+1:])"
expect_fail checksum_mismatch 'checksum mismatch' ft-cat corrupt.ft
$PY -c "import sys; d=open('m.ft','rb').read(); open('v3.ft','wb').write(d.replace(b'\xa7version\x02', b'\xa7version\x03', 1))"
expect_fail wrong_version 'unsupported ft stream version 3' ft-cat v3.ft
head -c 300000 m.ftz > trunc.ftz
expect_fail truncated_zstd 'truncated' ft-cat trunc.ftz
printf '\203\246format\242ft\247version\001\244kind\247records\301\301' > garbage.ft
expect_fail corrupt_frame 'corrupt frame' ft-cat garbage.ft
printf 'a,b\n1,2\n3\n' > rag.csv
expect_fail ragged_row 'rag.csv:3: row has 1 fields, the header has 2' ft-cat -o out.ft rag.csv
check no_half_written_output [ ! -e out.ft ] && [ -z "$(ls | grep 'out.ft.tmp')" ]
printf 'a,b\n1,"2\n3,4\n' > unt.csv
expect_fail unterminated_quote 'unt.csv:2: unterminated quoted field' ft-cat unt.csv
printf 'a,b\n1,\377x\n' > bad.csv
expect_fail invalid_utf8 'bad.csv:2: invalid UTF-8 in column 2' ft-cat bad.csv
: > empty.csv
expect_fail empty_input 'empty.csv: empty input' ft-cat empty.csv
printf '{"a":1}\n{"a":[1,2\n' > bad.jsonl
expect_fail bad_jsonl 'bad.jsonl:2: invalid JSON' ft-cat bad.jsonl
printf '{"a":1}\n[1]\n' > arr.jsonl
expect_fail jsonl_not_object 'arr.jsonl:2: JSON line is not an object' ft-cat arr.jsonl
expect_fail stream_given_as_csv 'expected csv text, got an ft stream' ft-cat --input-format csv m.ft
expect_fail missing_file 'nope.csv: cannot open' ft-cat nope.csv
expect_fail bad_flag 'is not an integer' ft-cat -n x m.ft
