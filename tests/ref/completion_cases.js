// Prompt-completion records for tests/ref/chat_completion.sh, made from the
// conversations of chat_cases.js (stdin), one record a line.
//  standard:       {prompt, completion} strings: the last user message and
//                  the answer that ends the conversation, bare, as "Question:
//                  ...\nAnswer:" + " answer", or with the prompt ending in a
//                  space (its tokens are then often not a prefix of the
//                  whole's); some completions end with "<|end_of_text|>" or
//                  "<|im_end|>" (Llama 3's and Qwen3's eos: not appended again)
//  conversational: {prompt, completion} lists of messages: the conversation up
//                  to its last user message, and what follows it (tool calls
//                  and responses included); tools, and chat_template_kwargs
//                  {enable_thinking} where the case has it.
// Usage: node completion_cases.js standard|conversational < cases.jsonl
const fs = require('fs');
const form = process.argv[2];
const cases = fs.readFileSync(0, 'utf8').split('\n').filter(x => x).map(x => JSON.parse(x));
cases.forEach((c, i) => {
  const m = c.messages;
  let u = m.length - 1;
  while (u >= 0 && m[u].role !== 'user') u--;
  if (u < 0 || u === m.length - 1) return;   // the conversation ends with the user: no completion
  if (form === 'conversational') {
    const r = { prompt: m.slice(0, u + 1), completion: m.slice(u + 1) };
    if (c.tools) r.tools = c.tools;
    if (c.enable_thinking !== undefined) r.chat_template_kwargs = { enable_thinking: c.enable_thinking };
    console.log(JSON.stringify(r));
    return;
  }
  const q = m[u].content, a = m[m.length - 1].content || '';
  const eos = ['', '', '', '<|end_of_text|>', '<|im_end|>'][i % 5];
  const r = [{ prompt: q, completion: a + eos },
             { prompt: 'Question: ' + q + '\nAnswer:', completion: ' ' + a + eos },
             { prompt: q + ' ', completion: a + eos }][i % 3];
  console.log(JSON.stringify(r));
});
