// The conversations of tests/ref/chat.sh, one JSON case a line: {messages,
// add_generation_prompt[, tools][, enable_thinking]}.  Seeded, so every run
// makes the same corpus: with and without a system message (and one in the
// middle), 1 to 5 turns, empty, multi-line, padded and Unicode content,
// <think> blocks and reasoning_content (Qwen3 drops them from earlier
// turns), tool calls and tool responses with a tools list, and the
// generation prompt on and off.  Usage: node chat_cases.js [N]
let seed = 20240528;
function rnd() {   // mulberry32
  seed = (seed + 0x6D2B79F5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = a => a[Math.floor(rnd() * a.length)];
const texts = [
  '', 'Hello!', 'What is the capital of France?', 'Paris.',
  'Line one\nLine two\n\nLine four', '  padded with spaces  ', '\n\nleading newlines',
  'trailing newline\n', 'Ünïcödé — naïve café, déjà vu', '日本語のテキストです。', '中文：你好，世界！',
  'Emoji 🙂🚀 and a ZWJ 👩‍💻', 'עברית ومرحبا بالعربية', 'Quotes "double" and \'single\' and \\backslash',
  'Tabs\tand\ttabs', 'Code:\n```python\ndef f(x):\n    return x * 2\n```', '{"json": [1, 2, 3]}',
  'Special-looking <|im_start|> text', '<tool_response>\nnot really\n</tool_response>',
  'Cardiology handles chest pain.', 'A very long answer ' + 'word '.repeat(60).trim(),
  'Ελληνικά και кириллица', 'Math: 2 + 2 = 4; x² ≤ 10'
];
const thinks = [
  '<think>\nLet me think step by step.\n</think>\n\nThe answer is 4.',
  '<think>\n\n</think>\n\nShort answer.', '<think>reasoning inline</think>Answer after.',
];
const tools = [
  { type: 'function', function: { name: 'get_weather', description: 'Get the weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
  { type: 'function', function: { name: 'lookup', description: 'Look up a term in the encyclopædia',
    parameters: { type: 'object', properties: { term: { type: 'string' }, limit: { type: 'integer' } } } } },
];
function toolCall() {
  return rnd() < 0.5
    ? { type: 'function', function: { name: 'get_weather', arguments: { city: pick(['Paris', 'Zürich', '東京']) } } }
    : { type: 'function', function: { name: 'lookup', arguments: rnd() < 0.5 ? '{"term": "heart", "limit": 3}' : { term: 'héart', limit: 2 } } };
}
function assistant(withTools) {
  const r = rnd();
  if (withTools && r < 0.3) {
    const calls = [toolCall()];
    if (rnd() < 0.3) calls.push(toolCall());
    return [{ role: 'assistant', content: rnd() < 0.5 ? '' : pick(texts), tool_calls: calls },
            ...calls.map(() => ({ role: 'tool', content: pick(['{"temp": 21}', 'sunny', 'Ünïcödé result']) })),
            { role: 'assistant', content: pick(texts) }];
  }
  if (r < 0.5) return [{ role: 'assistant', content: pick(thinks) }];
  if (r < 0.6) return [{ role: 'assistant', content: pick(texts), reasoning_content: pick(['Because.', '\nmulti\nline\n', '']) }];
  return [{ role: 'assistant', content: pick(texts) }];
}
function conversation(withTools) {
  const m = [];
  if (rnd() < 0.5) m.push({ role: 'system', content: pick(['You are a helpful assistant.', '', 'Système : réponds en français.\nSois bref.']) });
  const turns = 1 + Math.floor(rnd() * 5);
  for (let t = 0; t < turns; t++) {
    m.push({ role: 'user', content: pick(texts) });
    if (t === 2 && rnd() < 0.15) m.push({ role: 'system', content: 'A system note mid-conversation.' });
    if (t < turns - 1 || rnd() < 0.7) m.push(...assistant(withTools));
  }
  return m;
}
const n = +(process.argv[2] || 400);
for (let i = 0; i < n; i++) {
  const withTools = i % 4 === 3;
  const c = { messages: conversation(withTools), add_generation_prompt: i % 2 === 1 };
  if (withTools) c.tools = tools;
  if (i % 10 === 7) c.enable_thinking = false;
  console.log(JSON.stringify(c));
}
