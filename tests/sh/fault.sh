# Faults: resume from the newest complete checkpoint, sweeping a dead run's
# temporaries, a file-size limit or full disk while writing a stream, a
# checkpoint or a model, ulimit -v, and a few kill -9s (make kill-test: 100).
. "$FT_ROOT/tests/lib.sh"
cd "$TMP"
. "$FT_ROOT/tests/fault/setup.sh"
T="--model . --from-scratch --num-labels 3 --per-device-train-batch-size 8 --threads 1 --quiet"

# --resume-from-checkpoint with no directory: the newest complete checkpoint,
# passing over a half-deleted one as an older ft's rotation could leave
ft-train $T --output-dir r --max-steps 8 --save-steps 2 --save-total-limit 3 train.jsonl > /dev/null 2>&1
check fault_rotation_keeps_limit sh -c '[ "$(ls -d r/checkpoint-* | tr "\n" " ")" = "r/checkpoint-4 r/checkpoint-6 r/checkpoint-8 " ]'
cp r/model.safetensors full.safetensors
# as if killed after step 7 while an older ft's rotation was deleting checkpoint-7
rm -r r/checkpoint-8 r/model.safetensors
mkdir r/checkpoint-7 && cp r/checkpoint-6/config.json r/checkpoint-6/trainer_state.json r/checkpoint-7/
ft-train $T --output-dir r --max-steps 8 --save-steps 2 --save-total-limit 3 --resume-from-checkpoint train.jsonl > /dev/null 2> err.txt
check fault_resume_last_passes_over_incomplete grep -q 'checkpoint-7: incomplete checkpoint' err.txt
check fault_resume_last_takes_newest grep -q 'resuming from r/checkpoint-6' err.txt
check fault_resume_last_bit_equal cmp -s r/model.safetensors full.safetensors
mkdir r/checkpoint-9 && cp r/checkpoint-6/config.json r/checkpoint-9/
expect_fail fault_resume_incomplete_refused 'incomplete checkpoint' \
    ft-train $T --output-dir r --max-steps 10 --resume-from-checkpoint r/checkpoint-9 train.jsonl
expect_fail fault_resume_last_none 'no complete checkpoint-N directory in empty' \
    ft-train $T --output-dir empty --max-steps 1 --resume-from-checkpoint last train.jsonl

# a dead run's temporaries are swept, a running job's are left alone
sh -c 'exit 0' & dead=$!; wait $dead
sleep 60 & live=$!
mkdir -p s/checkpoint-3.tmp.$dead s/checkpoint-4.tmp.$live && touch s/config.json.tmp.$dead
ft-train $T --output-dir s --max-steps 1 --save-strategy no train.jsonl > /dev/null 2>&1
check fault_dead_temporaries_swept sh -c "[ ! -e s/checkpoint-3.tmp.$dead ] && [ ! -e s/config.json.tmp.$dead ]"
check fault_live_temporaries_kept [ -d s/checkpoint-4.tmp.$live ]
kill $live

# a file-size limit (SIGXFSZ ignored, as a full disk reports it): a clear
# error, nothing under the final name, the earlier output intact
ft-batch -b 8 -o b.ft train.jsonl && cp b.ft b0.ft
expect_fail fault_fsize_stream 'b.ft: write error: File too large' \
    sh -c 'trap "" XFSZ; ulimit -f 16; ft-batch -b 4 -o b.ft train.jsonl'
check fault_fsize_stream_earlier_intact cmp -s b.ft b0.ft
check fault_fsize_stream_no_temporary sh -c '! ls b.ft.tmp.* 2> /dev/null'
ft-train $T --output-dir c --max-steps 2 --save-steps 1 train.jsonl > /dev/null 2>&1 && cp -r c c0
expect_fail fault_fsize_checkpoint 'model.safetensors: .*File too large' \
    sh -c 'trap "" XFSZ; ulimit -f 64; ft-train $0 --output-dir c --max-steps 4 --save-steps 1 --resume-from-checkpoint train.jsonl' "$T"
check fault_fsize_checkpoint_none_new sh -c '[ "$(ls c | grep checkpoint | tr "\n" " ")" = "checkpoint-1 checkpoint-2 " ]'
check fault_fsize_checkpoint_earlier_intact diff -r c/checkpoint-2 c0/checkpoint-2
expect_fail fault_fsize_model 'File too large' \
    sh -c 'trap "" XFSZ; ulimit -f 64; ft-train $0 --output-dir c --max-steps 2 --save-strategy no train.jsonl' "$T"
check fault_fsize_model_earlier_intact cmp -s c/model.safetensors c0/model.safetensors
check fault_fsize_no_temporaries sh -c '! ls -d c/*.tmp.* c/*/*.tmp.* 2> /dev/null'

# a full disk: a 64 KiB tmpfs (when this machine lets us mount one)
mkdir small
if mount -t tmpfs -o size=64k none small 2> /dev/null; then
    expect_fail fault_full_disk_stream 'No space left on device' ft-batch -b 4 -o small/b.ft train.jsonl
    check fault_full_disk_nothing_left sh -c '[ -z "$(ls -A small)" ]'
    umount small
else
    ok "fault_full_disk_stream # skipped: cannot mount a tmpfs here"
fi

# ulimit -v: a clear error naming what did not fit, not a crash
sed 's/"hidden_size":32,"num_hidden_layers":2/"hidden_size":4096,"num_hidden_layers":8/; s/"intermediate_size":64/"intermediate_size":16384/' \
    config.json > big.json && mkdir big && mv big.json big/config.json
expect_fail fault_oom_named 'out of memory allocating the weights of [0-9]* parameters' \
    sh -c 'ulimit -v 1500000; ft-train --model big --from-scratch --num-labels 3 --threads 1 --output-dir o --max-steps 1 train.jsonl'
check fault_oom_exit_1 sh -c 'ulimit -v 1500000; ft-train --model big --from-scratch --num-labels 3 --threads 1 --output-dir o --max-steps 1 train.jsonl 2> /dev/null; [ $? = 1 ]'

# kill -9 at random moments, a few times (make kill-test does 100)
"$FT_ROOT/tests/fault/kill-test" 4 1 | grep -v '^#'
