// Where each JSON path of a document starts in its text, so an API error such as
// `canvas.chain[1].args[0]` can be shown on its line. Paths are spelled as the API spells
// them (src/validation/issues.ts): keys joined by dots, array indexes in brackets.

/** Map from path to the 1-based line its value (or its key, for members) starts on. */
export function pathLines(text) {
  const lines = new Map();
  let i = 0;
  let line = 1;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) {
      if (text[i] === '\n') line++;
      i++;
    }
  };
  const join = (base, key) => (typeof key === 'number' ? `${base}[${key}]` : base === '' ? key : `${base}.${key}`);
  const string = () => {
    let out = '';
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        out += text[i + 1] === 'n' ? '\n' : text[i + 1];
        i += 2;
      } else out += text[i++];
    }
    i++;
    return out;
  };
  const value = (path) => {
    ws();
    if (!lines.has(path)) lines.set(path, line);
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      while (i < text.length && text[i] !== '}') {
        ws();
        if (text[i] !== '"') throw new Error('key');
        const keyLine = line;
        const key = string();
        lines.set(join(path, key), keyLine);
        ws();
        i++; // colon
        value(join(path, key));
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (c === '[') {
      i++;
      ws();
      let index = 0;
      while (i < text.length && text[i] !== ']') {
        value(join(path, index++));
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (c === '"') string();
    else while (i < text.length && /[^\s,\]}]/.test(text[i])) i++;
  };
  try {
    value('');
  } catch {
    // Not JSON: whatever was mapped before the fault stays.
  }
  return lines;
}

/** The line of `path`, else of its nearest ancestor that the text has (a missing field is its parent's). */
export function lineOf(lines, path) {
  let p = path;
  while (p) {
    if (lines.has(p)) return lines.get(p);
    p = p.replace(/(\[\d+\]|\.?[^.[\]]+)$/, '');
  }
  return lines.get('') ?? 1;
}

/** The line of a JSON.parse error, from the engine's message (position N, or line L). */
export function syntaxErrorLine(text, error) {
  const lineMatch = /line (\d+)/.exec(error.message);
  if (lineMatch) return Number(lineMatch[1]);
  const pos = /position (\d+)/.exec(error.message);
  return pos ? text.slice(0, Number(pos[1])).split('\n').length : 1;
}
