/* ft side of tests/ref/chat.sh: each input line is a case {messages,
   add_generation_prompt, tools, ...}; prints the render of MODEL_DIR's chat
   template as {"hex": ...}, or {"error": true} (the message on stderr). */
#include "chat_tokenize.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: chat_driver MODEL_DIR < cases.jsonl\n"); return 2; }
    char *err = NULL;
    ft_chat_config *cfg = ft_chat_config_load(argv[1], &err);
    if (!cfg) { fprintf(stderr, "%s\n", err); return 1; }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        json_error_t je;
        json_t *c = json_loadb(line, (size_t)n, 0, &je);
        if (!c) { fprintf(stderr, "bad case: %s\n", je.text); return 1; }
        json_t *extra = json_copy(c);
        json_object_del(extra, "messages");
        json_object_del(extra, "add_generation_prompt");
        ft_chat_render r;
        if (ft_chat_render_messages(cfg, json_object_get(c, "messages"), extra,
                                    json_is_true(json_object_get(c, "add_generation_prompt")), &r, &err)) {
            fprintf(stderr, "%s\n", err);
            free(err);
            puts("{\"error\":true}");
        } else {
            fputs("{\"hex\":\"", stdout);
            for (size_t i = 0; i < r.len; i++) printf("%02x", (unsigned char)r.text[i]);
            puts("\"}");
            ft_chat_render_free(&r);
        }
        json_decref(extra);
        json_decref(c);
    }
    free(line);
    ft_chat_config_free(cfg);
    return 0;
}
