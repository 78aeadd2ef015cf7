// Reads the interfaces of a WIT package directory (the top-level *.wit files, not
// deps/) into a JSON schema that src/wit.js uses to convert `invoke`'s JSON arguments
// and results exactly as the Rust host does (host-examples/wasmtime/src/dynamic.rs):
// integer widths and ranges, required fields, unknown fields, enum and variant cases.
// jco's own lowering is looser (it coerces "5" to 5, wraps 300 into a u8, ignores
// unknown fields), and the .d.ts it emits does not keep integer widths, hence this.
//
// It understands the WIT that interfaces are written in: `interface` blocks with `use`,
// `type`, `record`, `variant`, `enum`, `flags`, `resource` (skipped) and functions;
// `package` and `world` items and feature gates (`@since(…)`) are skipped.
//
// Schema: { package, interfaces: { <iface>: { uses: {name: [iface, name]},
//           types: {name: Def}, funcs: {name: {params: [[name, Type]], result: Type|null}} } } }
//   Type = 'u8' | … | 'string' | {list: Type} | {option: Type} | {tuple: [Type]}
//        | {result: [Type|null, Type|null]} | {ref: name} | {handle: name}
//   Def  = {record: [[field, Type]]} | {variant: [[case, Type|null]]} | {enum: [case]}
//        | {flags: [name]} | {alias: Type} | {resource: true}

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const PRIMITIVES = new Set([
  'bool', 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'f32', 'f64', 'float32', 'float64', 'char', 'string',
]);

function tokenize(src, file) {
  const tokens = [];
  let i = 0;
  let line = 1;
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new Error(`${file}:${line}: unterminated comment`);
      line += src.slice(i, end).split('\n').length - 1;
      i = end + 2;
    } else if (src.startsWith('->', i)) {
      tokens.push({ t: '->', line });
      i += 2;
    } else if ('{}()<>,:;=./@*_'.includes(c) && !(c === '_' && /[a-zA-Z0-9]/.test(src[i + 1] ?? ''))) {
      tokens.push({ t: c, line });
      i++;
    } else {
      // identifiers (kebab-case, %-escaped) and version numbers (0.2.0-draft2)
      const m = /^%?[a-zA-Z0-9][a-zA-Z0-9-]*(?:\.[0-9][a-zA-Z0-9-]*)*(?:\+[a-zA-Z0-9.-]+)?/.exec(src.slice(i));
      if (!m) throw new Error(`${file}:${line}: unexpected ${JSON.stringify(c)}`);
      let word = m[0];
      tokens.push({ t: 'id', v: word.startsWith('%') ? word.slice(1) : word, line });
      i += word.length;
    }
  }
  return tokens;
}

class Parser {
  constructor(tokens, file) {
    this.tokens = tokens;
    this.i = 0;
    this.file = file;
  }

  peek(k = 0) {
    return this.tokens[this.i + k];
  }

  fail(msg) {
    const tok = this.peek();
    throw new Error(`${this.file}:${tok?.line ?? 'end'}: ${msg}, found ${tok ? (tok.v ?? tok.t) : 'end of file'}`);
  }

  is(t, v) {
    const tok = this.peek();
    return tok && tok.t === t && (v === undefined || tok.v === v);
  }

  eat(t, v) {
    if (!this.is(t, v)) this.fail(`expected ${v ?? t}`);
    return this.tokens[this.i++];
  }

  maybe(t, v) {
    if (this.is(t, v)) return this.tokens[this.i++];
    return undefined;
  }

  id() {
    return this.eat('id').v;
  }

  /** Skip a balanced group starting at the current opening token. */
  skipGroup(open, close) {
    let depth = 0;
    do {
      const tok = this.tokens[this.i++];
      if (!tok) this.fail(`unbalanced ${open}`);
      if (tok.t === open) depth++;
      else if (tok.t === close) depth--;
    } while (depth > 0);
  }

  skipGates() {
    while (this.maybe('@')) {
      this.id();
      if (this.is('(')) this.skipGroup('(', ')');
    }
  }

  type() {
    const name = this.id();
    if (PRIMITIVES.has(name)) return name === 'float32' ? 'f32' : name === 'float64' ? 'f64' : name;
    const args = () => {
      this.eat('<');
      const out = [];
      do {
        if (this.maybe('_')) out.push(null);
        else out.push(this.type());
      } while (this.maybe(','));
      this.eat('>');
      return out;
    };
    switch (name) {
      case 'list':
        return { list: args()[0] };
      case 'option':
        return { option: args()[0] };
      case 'tuple':
        return { tuple: args() };
      case 'result': {
        if (!this.is('<')) return { result: [null, null] };
        const a = args();
        return { result: [a[0] ?? null, a[1] ?? null] };
      }
      case 'own':
      case 'borrow':
        return { handle: args()[0].ref };
      default:
        return { ref: name };
    }
  }

  /** `{ a, b(T), … }` → [[name, T|null]]. */
  cases(withPayload) {
    this.eat('{');
    const out = [];
    while (!this.maybe('}')) {
      this.skipGates();
      const name = this.id();
      let ty = null;
      if (withPayload && this.maybe('(')) {
        ty = this.type();
        this.eat(')');
      }
      out.push([name, ty]);
      if (!this.maybe(',')) {
        this.eat('}');
        break;
      }
    }
    return out;
  }

  interfaceBody(iface) {
    this.eat('{');
    while (!this.maybe('}')) {
      this.skipGates();
      if (this.maybe('id', 'use')) {
        // use <path>.{a, b as c};   path: `types` or `pkg:ns/iface@version`
        let last;
        while (!this.is('{')) {
          const tok = this.tokens[this.i++];
          if (!tok) this.fail('expected {');
          if (tok.t === 'id' && this.tokens[this.i]?.t !== ':') last = tok.v;
          if (tok.t === '@') this.i++; // the version
        }
        this.eat('{');
        do {
          const name = this.id();
          const local = this.maybe('id', 'as') ? this.id() : name;
          iface.uses[local] = [last, name];
        } while (this.maybe(','));
        this.eat('}');
        this.eat(';');
      } else if (this.maybe('id', 'type')) {
        const name = this.id();
        this.eat('=');
        iface.types[name] = { alias: this.type() };
        this.eat(';');
      } else if (this.maybe('id', 'record')) {
        const name = this.id();
        this.eat('{');
        const fields = [];
        while (!this.maybe('}')) {
          this.skipGates();
          const f = this.id();
          this.eat(':');
          fields.push([f, this.type()]);
          if (!this.maybe(',')) {
            this.eat('}');
            break;
          }
        }
        iface.types[name] = { record: fields };
      } else if (this.maybe('id', 'variant')) {
        const name = this.id();
        iface.types[name] = { variant: this.cases(true) };
      } else if (this.maybe('id', 'enum')) {
        const name = this.id();
        iface.types[name] = { enum: this.cases(false).map(([n]) => n) };
      } else if (this.maybe('id', 'flags')) {
        const name = this.id();
        iface.types[name] = { flags: this.cases(false).map(([n]) => n) };
      } else if (this.maybe('id', 'resource')) {
        const name = this.id();
        iface.types[name] = { resource: true };
        if (this.is('{')) this.skipGroup('{', '}');
        else this.eat(';');
      } else if (this.is('id') && this.peek(1)?.t === ':') {
        const name = this.id();
        this.eat(':');
        this.maybe('id', 'async');
        this.eat('id', 'func');
        this.eat('(');
        const params = [];
        while (!this.maybe(')')) {
          const p = this.id();
          this.eat(':');
          params.push([p, this.type()]);
          if (!this.maybe(',')) {
            this.eat(')');
            break;
          }
        }
        let result = null;
        if (this.maybe('->')) {
          if (this.is('(')) this.fail('named results are not supported');
          result = this.type();
        }
        this.eat(';');
        iface.funcs[name] = { params, result };
      } else {
        this.fail('expected an interface item');
      }
    }
  }

  parseFile(schema) {
    while (this.peek()) {
      this.skipGates();
      if (this.maybe('id', 'package')) {
        const parts = [];
        while (!this.maybe(';')) parts.push(this.tokens[this.i++]);
        schema.package ??= parts.map((t) => t.v ?? t.t).join('');
      } else if (this.maybe('id', 'interface')) {
        const name = this.id();
        const iface = { uses: {}, types: {}, funcs: {} };
        this.interfaceBody(iface);
        schema.interfaces[name] = iface;
      } else if (this.maybe('id', 'world')) {
        this.id();
        this.skipGroup('{', '}');
      } else if (this.maybe('id', 'use')) {
        while (!this.maybe(';')) this.i++;
      } else {
        this.fail('expected package, interface or world');
      }
    }
  }
}

/** The schema of the interfaces declared in `dir`'s top-level .wit files. */
export function witSchema(dir) {
  const schema = { package: undefined, interfaces: {} };
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.wit')).sort()) {
    const path = join(dir, f);
    new Parser(tokenize(readFileSync(path, 'utf8'), path), path).parseFile(schema);
  }
  return schema;
}
