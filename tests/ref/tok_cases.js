// Writes the parity corpus for tests/ref/tokenizer_parity.sh as JSON lines
// (the case format of tok_driver.c / tok_oracle.js): hand-written traps,
// seeded random strings over many scripts and planes, and real lines from
// shared/data (Chinese medical questions, reviews, news, Python code).
// Usage: node tok_cases.js SHARED_DIR > cases.jsonl
const fs = require('fs');
const shared = process.argv[2];
const hand = [
  '', ' ', '   ', 'a', 'Hello, world!', 'hello   world\t\ttabs\nnew line\r\nCRLF',
  '你好，世界！今天天气很好。', '浅表性胃炎的日常注意事项是什么？ 2008年年底',
  'ＡＢＣ１２３，．！？（全角）【括号】《书名》「引号」',
  'café naïve résumé Ångström ÉCOLE', 'e\u0301 a\u0300 o\u0308 combining marks\u0327',
  'emoji 😀👍🏽👨‍👩‍👧 🥰 🫠 ❤️ ✨', 'control\u0000chars\u0001\u0007\u001b[0m\u007f\u0085\u200b\u200d\ufeff',
  'line\u2028sep\u2029para', 'nbsp\u00a0thin\u2009ideo\u3000space',
  'numbers 3.14159 1,000,000 ２０２４年 ½ ⅔ ① ٣ ߁',
  'def f(x):\n    return x**2  # square\n\tif a != b: print("ok")',
  'for (int i = 0; i < n; i++) { s += a[i]; } // C++ <vector>&&||',
  'x = {"k": [1, 2, 3], \'y\': None}',
  "I'm don't you're we've they'll she'd it's 'quoted' O'Reilly ''s",
  "I'M DON'T YOU'RE",
  'a'.repeat(99), 'b'.repeat(100), 'c'.repeat(101), 'supercalifragilisticexpialidocious'.repeat(4),
  '汉'.repeat(150), 'x' + 'é'.repeat(120),
  'CJK ext: 𠀀𠀁𪜀𫝀𫠠𬺰𰀀 㐀㐁 豈 丽',
  'Ελληνικά Русский עברית العربية हिन्दी ไทย 한국어 日本語のテキスト',
  '[CLS] [SEP] [MASK] [PAD] [UNK] [mask] <s> </s> <pad> <unk> <mask> <|endoftext|> <extra_id_0>',
  'fill <mask> here and<mask>there <extra_id_1> x<extra_id_2>y',
  'A\u030a\u0041\u0308 ﬁ ﬂ Ⅻ ㎏ ㈱', 'İstanbul ǅ ß ẞ Σσς',
  'URLs https://example.com/a?b=c&d=e#f and emails a.b@c.de',
  '    leading spaces', 'trailing spaces    ', ' \t\n ', 'a  b   c    d',
  '\ud83d\ude00\ud83d\ude00', '生成代码: 写一个函数计算斐波那契数列',
  '¿Qué? ¡Sí! «guillemets» „Anführung“ ‘single’ “double” — – … · • ※ § ¶',
  '\u0e01\u0e34\u0e19 \u0915\u094d\u0937 \u1100\u1161\u11a8',
  'tab\tseparated\tvalues\t', 'mixed中文English混合text123数字',
];
// Seeded random strings: pick code points from ranges that exercise every
// class table (ASCII, Latin, marks, CJK + extensions, emoji, unassigned).
let seed = 12345;
const rnd = n => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const ranges = [[0x20, 0x7e], [0x0, 0x20], [0xa0, 0x24f], [0x300, 0x36f], [0x370, 0x3ff],
  [0x400, 0x52f], [0x590, 0x6ff], [0x900, 0x97f], [0xe00, 0xe7f], [0x1100, 0x11ff],
  [0x2000, 0x206f], [0x2070, 0x2bff], [0x3000, 0x303f], [0x3040, 0x30ff], [0x3400, 0x4dbf],
  [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xac00, 0xd7a3], [0xe000, 0xe0ff], [0xf900, 0xfaff],
  [0xfe00, 0xfe6f], [0xff00, 0xffef], [0xfff0, 0xfffd], [0x10000, 0x1014f], [0x1d400, 0x1d7ff],
  [0x1f000, 0x1faff], [0x20000, 0x2a6df], [0x2a700, 0x2ebef], [0x30000, 0x3134f], [0xe0000, 0xe01ef],
  [0x40000, 0x40010]];
const rand = [];
for (let i = 0; i < 400; i++) {
  let s = '', n = 1 + rnd(40);
  for (let k = 0; k < n; k++) {
    const r = rnd(3) ? ranges[0] : ranges[rnd(ranges.length)];
    if (rnd(5) === 0) { s += ' '; continue; }
    s += String.fromCodePoint(r[0] + rnd(r[1] - r[0] + 1));
  }
  rand.push(s);
}
const real = [];
const csvText = f => fs.readFileSync(f, 'utf8').split('\n').slice(1).filter(l => l).slice(0, 300);
for (const f of ['medical/medical_texts.csv', 'tasks/chnsenticorp/chnsenticorp.csv',
                 'tasks/ag_news/ag_news.csv', 'tasks/kuake_qic/kuake_qic.csv',
                 'tasks/online_shopping_cats/online_shopping_cats.csv'])
  real.push(...csvText(shared + '/data/' + f));
for (const l of fs.readFileSync(shared + '/data/code/mbpp.jsonl', 'utf8').split('\n').filter(l => l).slice(0, 200)) {
  const j = JSON.parse(l); real.push(j.text, j.code);
}
const texts = [...hand, ...rand, ...real];
const out = [];
const add = c => out.push(JSON.stringify(c));
texts.forEach((a, i) => {
  add({ a });
  if (i % 3 === 0) add({ a, special: false });
  if (i % 2 === 0) add({ a, b: texts[(i * 7 + 3) % texts.length] });
});
// truncation and padding over pairs of different lengths
const strat = ['longest_first', 'only_first', 'only_second'];
for (let i = 0; i < 300; i++) {
  const a = texts[rnd(texts.length)], b = texts[rnd(texts.length)];
  const ml = [1, 2, 3, 5, 8, 16, 33, 64, 128][rnd(9)];
  const c = { a, max_length: ml, truncation: strat[rnd(3)] };
  if (rnd(2)) c.b = b; else if (c.truncation === 'only_second') c.truncation = 'longest_first';
  if (rnd(2)) c.padding = 'max_length';
  if (rnd(4) === 0) c.special = false;
  add(c);
}
process.stdout.write(out.join('\n') + '\n');
