# A Makefile that keeps tokenized shards as a cache: shards/NAME.ft is rebuilt
# only when data/NAME.csv or a tokenizer file of MODEL is newer, and otherwise
# reused.  Run by make-cache.sh; use it as
#   make -f shards.mk MODEL=dir DATA=dir SHARDS=dir [MAX_LENGTH=128]
# Each shard is written under its final name only when complete (ft-tokenize
# writes a temp file and renames it), so an interrupted make never leaves a
# half shard that a later make would take as up to date.
MAX_LENGTH ?= 128
TOKENIZER_FILES = $(wildcard $(MODEL)/tokenizer.json $(MODEL)/tokenizer_config.json \
                    $(MODEL)/vocab.txt $(MODEL)/vocab.json $(MODEL)/merges.txt $(MODEL)/spiece.model)
INPUTS = $(wildcard $(DATA)/*.csv)
OUTPUTS = $(INPUTS:$(DATA)/%.csv=$(SHARDS)/%.ft)

all: $(OUTPUTS)

$(SHARDS)/%.ft: $(DATA)/%.csv $(TOKENIZER_FILES) | $(SHARDS)
	ft-tokenize --model $(MODEL) --max-length $(MAX_LENGTH) --threads 1 -o $@ $<

$(SHARDS):
	mkdir -p $@

.PHONY: all
