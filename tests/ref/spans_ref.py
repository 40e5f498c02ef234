"""DataCollatorForT5MLM (transformers examples/flax/language-modeling/
run_t5_mlm_flax.py) in numpy, as upstream writes it, with np.random.shuffle
replaced by the same Fisher-Yates swaps fed from the C side's draws: the
corrupted inputs and labels must be ft's exactly.
usage: spans_ref.py TOKENIZER_DIR < spans_drv output"""
import json, sys
import numpy as np

tok_dir = sys.argv[1]
vocab = json.load(open(tok_dir + "/vocab.json"))
LEN_TOKENIZER = len(vocab)          # len(tokenizer): <extra_id_0> is the last id
EOS = vocab["</s>"]


class Collator:
    def __init__(self, noise_density, mean_noise_span_length, draws):
        self.noise_density = noise_density
        self.mean_noise_span_length = mean_noise_span_length
        self.draws = iter(draws)

    def shuffle(self, x):           # numpy's legacy shuffle order: i = n-1 .. 1, j in [0, i]
        for i in reversed(range(1, len(x))):
            j = next(self.draws)
            assert 0 <= j <= i
            x[i], x[j] = x[j], x[i]

    def random_spans_noise_mask(self, length):
        orig_length = length
        num_noise_tokens = int(np.round(length * self.noise_density))
        num_nonnoise_tokens = length - num_noise_tokens
        num_noise_tokens = min(max(num_noise_tokens, 1), length - 1)
        num_noise_spans = int(np.round(min(num_noise_tokens, num_nonnoise_tokens) / self.mean_noise_span_length))
        num_noise_spans = max(num_noise_spans, 1)

        def _random_segmentation(num_items, num_segments):
            mask_indices = np.arange(num_items - 1) < (num_segments - 1)
            self.shuffle(mask_indices)
            first_in_segment = np.pad(mask_indices, [[1, 0]])
            segment_id = np.cumsum(first_in_segment)
            _, segment_length = np.unique(segment_id, return_counts=True)
            return segment_length

        noise_span_lengths = _random_segmentation(num_noise_tokens, num_noise_spans)
        nonnoise_span_lengths = _random_segmentation(num_nonnoise_tokens, num_noise_spans)
        interleaved_span_lengths = np.reshape(
            np.stack([nonnoise_span_lengths, noise_span_lengths], axis=1), [num_noise_spans * 2])
        span_starts = np.cumsum(interleaved_span_lengths)[:-1]
        span_start_indicator = np.zeros((length,), dtype=np.int8)
        span_start_indicator[span_starts] = True
        span_num = np.cumsum(span_start_indicator)
        is_noise = np.equal(span_num % 2, 1)
        return is_noise[:orig_length]


def create_sentinel_ids(mask_indices):
    start_indices = mask_indices - np.roll(mask_indices, 1, axis=-1) * mask_indices
    start_indices[:, 0] = mask_indices[:, 0]
    sentinel_ids = np.where(start_indices != 0, np.cumsum(start_indices, axis=-1), start_indices)
    sentinel_ids = np.where(sentinel_ids != 0, (LEN_TOKENIZER - sentinel_ids), 0)
    sentinel_ids -= mask_indices - start_indices
    return sentinel_ids


def filter_input_ids(input_ids, sentinel_ids):
    batch_size = input_ids.shape[0]
    input_ids_full = np.where(sentinel_ids != 0, sentinel_ids, input_ids)
    input_ids = input_ids_full[input_ids_full >= 0].reshape((batch_size, -1))
    return np.concatenate([input_ids, np.full((batch_size, 1), EOS, dtype=np.int32)], axis=-1)


bad = 0
for line in sys.stdin:
    case = json.loads(line)
    rows = case["rows"]
    input_ids = np.array([r["ids"] for r in rows])
    batch_size, expanded_input_length = input_ids.shape
    mask_indices = np.asarray([
        Collator(case["noise_density"], case["mean_noise_span_length"], r["draws"])
        .random_spans_noise_mask(expanded_input_length) for r in rows])
    labels_mask = ~mask_indices
    input_ids_sentinel = create_sentinel_ids(mask_indices.astype(np.int8))
    labels_sentinel = create_sentinel_ids(labels_mask.astype(np.int8))
    want_inputs = filter_input_ids(input_ids, input_ids_sentinel).tolist()
    want_labels = filter_input_ids(input_ids, labels_sentinel).tolist()
    got_inputs = [r["input_ids"] for r in rows]
    got_labels = [r["labels"] for r in rows]
    if got_inputs != want_inputs or got_labels != want_labels:
        bad += 1
        print("  n=%d density=%g mean=%g: differs" % (case["n"], case["noise_density"], case["mean_noise_span_length"]))
        print("  ft   ", got_inputs[0][:40], got_labels[0][:20])
        print("  numpy", want_inputs[0][:40], want_labels[0][:20])
sys.exit(1 if bad else 0)
