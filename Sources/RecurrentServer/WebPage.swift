/// The page served at `/`: one self-contained HTML document (no CDN, works offline) that calls the JSON
/// API: tag a sentence (the brief's 我 吃 瓜 by default) and show the tagger LSTM's forget, input and
/// output gates at each word, pronounce a word with its attention heatmap α_ij, and generate text with the
/// language model, streamed as it is made.
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Recurrent</title>
<style>
  body { font: 16px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
  section { border: 1px solid #ddd; border-radius: 8px; padding: 1rem 1.2rem; margin: 1.2rem 0; }
  h2 { font-size: 1.15rem; margin: 0 0 0.6rem; }
  input[type=text] { font-size: 1rem; padding: 0.3rem 0.5rem; width: 22rem; }
  button { font-size: 1rem; padding: 0.3rem 0.9rem; }
  .tags { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-top: 0.8rem; }
  .tag { border: 1px solid #bbb; border-radius: 6px; padding: 0.2rem 0.6rem; text-align: center; }
  .tag b { display: block; font-size: 1.2rem; }
  .tag span { font-size: 0.8rem; color: #06c; }
  .error { color: #b00; margin-top: 0.6rem; }
  table.heat { border-collapse: collapse; margin-top: 0.8rem; font-size: 0.8rem; }
  table.heat td, table.heat th { width: 1.9rem; height: 1.6rem; text-align: center; padding: 0; }
  .note { font-size: 0.85rem; color: #555; }
  .gate h3 { font-size: 0.95rem; margin: 0.6rem 0 0.2rem; }
  .gate-row { display: flex; align-items: center; gap: 0.5rem; margin: 2px 0; }
  .gate-row b { width: 4rem; text-align: right; font-weight: normal; }
  .strip { display: flex; border: 1px solid #ccc; }
  .strip i { display: block; width: 2px; height: 16px; }
  .mean { font-size: 0.8rem; color: #555; }
  pre#lm-output { white-space: pre-wrap; background: #f7f7f7; padding: 0.8rem; min-height: 3rem; }
</style>
</head>
<body>
<h1>Recurrent</h1>
<p>Recurrent sequence models in Swift, served from this binary: a BiLSTM part-of-speech tagger, a
seq2seq G2P model with attention, and a character LSTM language model.</p>

<section id="tagger">
  <h2>Tag a sentence</h2>
  <form id="tag-form">
    <input type="text" id="tag-text" value="我 吃 瓜" aria-label="sentence">
    <select id="tag-lang" aria-label="language"><option value="zh" selected>中文</option><option value="en">English</option></select>
    <button type="submit" id="tag-submit">Tag</button>
  </form>
  <div class="tags" id="tag-result"></div>
  <p class="note">The sentence LSTM's gates at each word (its first layer, reading left to right): one stripe per
  hidden unit, darker is nearer 1. The forget gate keeps the cell, the input gate lets the candidate in, the
  output gate shows the cell as the hidden state.</p>
  <div id="tag-gates"></div>
  <div class="error" id="tag-error"></div>
</section>

<section id="g2p">
  <h2>Pronounce a word</h2>
  <form id="g2p-form">
    <input type="text" id="g2p-word" value="watermelon" aria-label="word">
    <button type="submit" id="g2p-submit">Pronounce</button>
  </form>
  <div id="g2p-phonemes"></div>
  <table class="heat" id="g2p-attention"></table>
  <div class="error" id="g2p-error"></div>
</section>

<section id="lm">
  <h2>Generate text</h2>
  <form id="lm-form">
    <input type="text" id="lm-prompt" value="ROMEO:" aria-label="prompt">
    <label>temperature <input type="number" id="lm-temperature" value="0.8" min="0" max="5" step="0.1" style="width:4rem"></label>
    <label>characters <input type="number" id="lm-length" value="300" min="0" max="5000" step="1" style="width:5rem"></label>
    <button type="submit" id="lm-submit">Generate</button>
  </form>
  <pre id="lm-output"></pre>
  <div class="error" id="lm-error"></div>
</section>

<script>
"use strict";
const $ = (id) => document.getElementById(id);

async function postJSON(path, body) {
  const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

// Each form: clear its error, run `work`, mark the form done (what the browser test waits for), or show the error.
function handle(name, work) {
  $(name + "-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $(name + "-error").textContent = "";
    delete $(name + "-form").dataset.done;
    try {
      await work();
      $(name + "-form").dataset.done = "1";
    } catch (error) {
      $(name + "-error").textContent = error.message;
    }
  });
}

const gateColors = { forget: [200, 60, 40], input: [30, 150, 60], output: [40, 90, 210] };
function shade(color, value) {
  const mix = (c) => Math.round(255 - (255 - c) * value);
  return `rgb(${mix(color[0])}, ${mix(color[1])}, ${mix(color[2])})`;
}

handle("tag", async () => {
  $("tag-result").textContent = "";
  $("tag-gates").textContent = "";
  const data = await postJSON("/v1/tag", { lang: $("tag-lang").value, text: $("tag-text").value, gates: true });
  data.tokens.forEach((token, i) => {
    const cell = document.createElement("div");
    cell.className = "tag";
    const word = document.createElement("b");
    word.textContent = token;
    const tag = document.createElement("span");
    tag.textContent = data.tags[i];
    cell.append(word, tag);
    $("tag-result").append(cell);
  });
  for (const gate of ["forget", "input", "output"]) {
    const block = document.createElement("div");
    block.className = "gate";
    const title = document.createElement("h3");
    title.textContent = gate + " gate";
    block.append(title);
    data.gates[gate].forEach((units, t) => {
      const row = document.createElement("div");
      row.className = "gate-row";
      const label = document.createElement("b");
      label.textContent = data.tokens[t];
      const strip = document.createElement("span");
      strip.className = "strip";
      for (const value of units) {
        const unit = document.createElement("i");
        unit.style.background = shade(gateColors[gate], value);
        strip.append(unit);
      }
      const mean = document.createElement("span");
      mean.className = "mean";
      mean.textContent = "mean " + (units.reduce((a, b) => a + b, 0) / units.length).toFixed(2);
      row.append(label, strip, mean);
      block.append(row);
    });
    $("tag-gates").append(block);
  }
});

handle("g2p", async () => {
  $("g2p-phonemes").textContent = "";
  $("g2p-attention").textContent = "";
  const data = await postJSON("/v1/g2p", { words: [$("g2p-word").value], beam: 5, attention: true });
  const result = data.results[0];
  $("g2p-phonemes").textContent = result.word + " → " + result.phonemes.join(" ");
  const letters = Array.from(result.word);
  const table = $("g2p-attention");
  const head = table.insertRow();
  head.append(document.createElement("th"));
  letters.forEach((letter) => { const th = document.createElement("th"); th.textContent = letter; head.append(th); });
  result.attention.forEach((row, i) => {
    const tr = table.insertRow();
    const th = document.createElement("th");
    th.textContent = i < result.phonemes.length ? result.phonemes[i] : "</s>";
    tr.append(th);
    row.forEach((alpha) => {
      const td = tr.insertCell();
      const level = Math.round(255 * (1 - alpha));
      td.style.background = `rgb(${level}, ${level}, 255)`;
      td.title = alpha.toFixed(3);
    });
  });
});

handle("lm", async () => {
  $("lm-output").textContent = $("lm-prompt").value;
  const response = await fetch("/v1/lm/generate", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ prompt: $("lm-prompt").value, length: Number($("lm-length").value), temperature: Number($("lm-temperature").value) }) });
  if (!response.ok) throw new Error((await response.json()).error || response.statusText);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    $("lm-output").textContent += decoder.decode(value, { stream: true });
  }
});

// `/?text=…&lang=…&word=…&prompt=…&length=…&submit=tag,g2p,lm` fills the forms and submits the ones listed, as a
// click would: a link that shows a result, and what the headless-browser test loads.
const params = new URLSearchParams(location.search);
for (const [key, id] of [["text", "tag-text"], ["lang", "tag-lang"], ["word", "g2p-word"], ["prompt", "lm-prompt"], ["length", "lm-length"]]) {
  if (params.has(key)) $(id).value = params.get(key);
}
for (const name of (params.get("submit") || "").split(",")) {
  const form = $(name + "-form");
  if (form) form.requestSubmit();
}
</script>
</body>
</html>
"""#
}
