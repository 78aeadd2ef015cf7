// JSON <-> jco values driven by the WIT types (gen/schema.json, the component's export
// types as the Rust host reads them, copied by `npm run transpile`): the same checks and the same
// JSON as the Rust host's `invoke` (host-examples/wasmtime/src/dynamic.rs).
//
// - An argument that does not fit its type is a `ShapeError` naming the path and what
//   was expected (`input.validity-months: expected u32 in range`), before the
//   component is entered — jco alone would coerce "5" to 5 or wrap 300 into a u8.
// - A record with a field the WIT does not have is rejected; a missing or null field
//   is `none` for an option and an error otherwise.
// - Results come back with every record field in WIT order, kebab-case, options as
//   null, 64-bit integers as numbers.

import { kebabToCamel } from './json.js';

/** Why a JSON value does not fit a WIT type. */
export class ShapeError extends Error {
  constructor(path, expected) {
    super(`${path}: expected ${expected}`);
    this.name = 'ShapeError';
    this.path = path;
    this.expected = expected;
  }
}

const RANGES = {
  u8: [0n, 0xffn],
  u16: [0n, 0xffffn],
  u32: [0n, 0xffffffffn],
  u64: [0n, 0xffffffffffffffffn],
  s8: [-0x80n, 0x7fn],
  s16: [-0x8000n, 0x7fffn],
  s32: [-0x80000000n, 0x7fffffffn],
  s64: [-0x8000000000000000n, 0x7fffffffffffffffn],
};

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);

/** Type resolution within one package schema. */
export class WitTypes {
  constructor(schema) {
    this.schema = schema;
  }

  /** The function `name` of `iface`, or undefined. */
  func(iface, name) {
    return this.schema.interfaces[iface]?.funcs[name];
  }

  /** The definition behind `{ref}` as seen from `iface`: [iface, def], aliases followed. */
  resolve(iface, ty) {
    for (let hops = 0; hops < 64; hops++) {
      if (typeof ty === 'string' || !('ref' in ty)) return [iface, ty];
      const i = this.schema.interfaces[iface];
      if (!i) throw new Error(`no interface ${iface} in the schema`);
      if (i.types[ty.ref]) {
        const def = i.types[ty.ref];
        if ('alias' in def) {
          ty = def.alias;
          continue;
        }
        return [iface, def];
      }
      const used = i.uses[ty.ref];
      if (!used) throw new Error(`${iface}: unknown type ${ty.ref}`);
      [iface, ty] = [used[0], { ref: used[1] }];
    }
    throw new Error(`${iface}: type aliases loop`);
  }

  /** JSON -> jco value of type `ty` (seen from `iface`). */
  toJs(iface, ty, v, path) {
    [iface, ty] = this.resolve(iface, ty);
    if (typeof ty === 'string') return primitiveToJs(ty, v, path);
    if ('list' in ty) {
      if (!Array.isArray(v)) throw new ShapeError(path, 'an array');
      const items = v.map((x, i) => this.toJs(iface, ty.list, x, `${path}[${i}]`));
      return ty.list === 'u8' ? Uint8Array.from(items) : items;
    }
    if ('option' in ty) return v === null || v === undefined ? undefined : this.toJs(iface, ty.option, v, path);
    if ('tuple' in ty) {
      if (!Array.isArray(v)) throw new ShapeError(path, 'an array (tuple)');
      if (v.length !== ty.tuple.length) throw new ShapeError(path, `${ty.tuple.length} items`);
      return ty.tuple.map((t, i) => this.toJs(iface, t, v[i], `${path}[${i}]`));
    }
    if ('result' in ty) {
      if (!isObject(v)) throw new ShapeError(path, 'an object {"ok"} or {"err"}');
      const [okTy, errTy] = ty.result;
      if (Object.hasOwn(v, 'ok')) return { tag: 'ok', val: okTy ? this.toJs(iface, okTy, v.ok ?? null, `${path}.ok`) : undefined };
      if (Object.hasOwn(v, 'err')) {
        return { tag: 'err', val: errTy ? this.toJs(iface, errTy, v.err ?? null, `${path}.err`) : undefined };
      }
      throw new ShapeError(path, 'an object {"ok"} or {"err"}');
    }
    if ('record' in ty) {
      if (!isObject(v)) throw new ShapeError(path, 'an object');
      for (const k of Object.keys(v)) {
        if (!ty.record.some(([f]) => f === k)) throw new ShapeError(`${path}.${k}`, 'no such field');
      }
      const out = {};
      for (const [f, ft] of ty.record) {
        const p = `${path}.${f}`;
        const x = Object.hasOwn(v, f) ? v[f] : null;
        if ((x === null || x === undefined) && !this.isOption(iface, ft)) {
          throw new ShapeError(p, 'a value (the field is required)');
        }
        out[kebabToCamel(f)] = this.toJs(iface, ft, x, p);
      }
      return out;
    }
    if ('variant' in ty) {
      if (!isObject(v)) throw new ShapeError(path, 'an object {"tag", "val"}');
      if (typeof v.tag !== 'string') throw new ShapeError(path, 'a "tag"');
      const c = ty.variant.find(([n]) => n === v.tag);
      if (!c) throw new ShapeError(`${path}.tag`, `one of ${ty.variant.map(([n]) => n).join(', ')}`);
      return c[1] === null ? { tag: v.tag } : { tag: v.tag, val: this.toJs(iface, c[1], v.val ?? null, `${path}.val`) };
    }
    if ('enum' in ty) {
      if (typeof v !== 'string') throw new ShapeError(path, 'a string');
      if (!ty.enum.includes(v)) throw new ShapeError(path, `one of ${ty.enum.join(', ')}`);
      return v;
    }
    if ('flags' in ty) {
      if (!Array.isArray(v)) throw new ShapeError(path, 'an array of flag names');
      const out = Object.fromEntries(ty.flags.map((n) => [kebabToCamel(n), false]));
      for (const x of v) {
        if (typeof x !== 'string') throw new ShapeError(path, 'flag names');
        if (!ty.flags.includes(x)) throw new ShapeError(path, `flags among ${ty.flags.join(', ')}`);
        out[kebabToCamel(x)] = true;
      }
      return out;
    }
    throw new ShapeError(path, `a type fichier does not export (${JSON.stringify(ty)})`);
  }

  isOption(iface, ty) {
    const [, def] = this.resolve(iface, ty);
    return typeof def === 'object' && 'option' in def;
  }

  /** jco value of type `ty` -> JSON. */
  fromJs(iface, ty, v) {
    [iface, ty] = this.resolve(iface, ty);
    if (typeof ty === 'string') {
      if (typeof v === 'bigint') return bigToNumber(v);
      return v === undefined ? null : v;
    }
    if ('list' in ty) return Array.from(v, (x) => this.fromJs(iface, ty.list, x));
    if ('option' in ty) return v === null || v === undefined ? null : this.fromJs(iface, ty.option, v);
    if ('tuple' in ty) return ty.tuple.map((t, i) => this.fromJs(iface, t, v[i]));
    if ('result' in ty) {
      const side = v.tag === 'ok' ? ty.result[0] : ty.result[1];
      return { [v.tag]: side ? this.fromJs(iface, side, v.val) : null };
    }
    if ('record' in ty) {
      return Object.fromEntries(ty.record.map(([f, ft]) => [f, this.fromJs(iface, ft, v[kebabToCamel(f)])]));
    }
    if ('variant' in ty) {
      const c = ty.variant.find(([n]) => n === v.tag);
      return c?.[1] ? { tag: v.tag, val: this.fromJs(iface, c[1], v.val) } : { tag: v.tag };
    }
    if ('enum' in ty) return v;
    if ('flags' in ty) return ty.flags.filter((n) => v[kebabToCamel(n)]);
    return '<handle>';
  }
}

function bigToNumber(v) {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`integer ${v} does not fit a JSON number exactly`);
  }
  return Number(v);
}

function primitiveToJs(ty, v, path) {
  switch (ty) {
    case 'bool':
      if (typeof v !== 'boolean') throw new ShapeError(path, 'a boolean');
      return v;
    case 'f32':
    case 'f64':
      if (typeof v !== 'number') throw new ShapeError(path, 'a number');
      return v;
    case 'char':
      if (typeof v !== 'string' || [...v].length !== 1) throw new ShapeError(path, 'a one-character string');
      return v;
    case 'string':
      if (typeof v !== 'string') throw new ShapeError(path, 'a string');
      return v;
    default: {
      const range = RANGES[ty];
      if (!range) throw new ShapeError(path, `a type fichier does not export (${ty})`);
      let n;
      if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
      else if (typeof v === 'bigint') n = v;
      else throw new ShapeError(path, `an integer (${ty})`);
      if (n < range[0] || n > range[1]) throw new ShapeError(path, `${ty} in range`);
      return ty === 'u64' || ty === 's64' ? n : Number(n);
    }
  }
}

