/* tensorboard: TensorBoard event files from the trainer's log lines, the way
   HF's TensorBoardCallback writes them (ft-train --report-to tensorboard).
   A file is a sequence of TFRecords (length, masked CRC32C of the length,
   an Event protobuf, masked CRC32C of the data); the first Event holds the
   file version, each later one a scalar with its tag and global step. */
#ifndef FT_TENSORBOARD_H
#define FT_TENSORBOARD_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ft_tb ft_tb;

/* HF's default logging_dir: OUTPUT_DIR/runs/<Mon DD_HH-MM-SS>_<hostname>
   (local time, as transformers' default_logdir()).  Free it. */
char *ft_tb_default_dir(const char *output_dir);
/* Creates dir (mkdir -p) and in it a new events.out.tfevents.<time>.<host>.<pid>.0
   file, as torch's SummaryWriter names it; dies with the path on error. */
ft_tb *ft_tb_open(const char *dir);
/* One scalar per number in a log line, at `step`, named as HF's
   rewrite_logs() does: eval_X -> eval/X, test_X -> test/X, anything else
   train/X.  "step" itself is not a value (HF's on_log never sees it);
   strings, arrays and objects are skipped.  Flushed, so TensorBoard shows
   it at once. */
void ft_tb_log(ft_tb *t, json_t *line, long step);
void ft_tb_close(ft_tb *t);         /* NULL is fine */

#endif
