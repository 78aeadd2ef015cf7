//! Inflating the one deflate stream the component embeds (the OpenAPI document, which
//! `build.rs` compresses), for a client that does not take gzip: RFC 1951 after Mark
//! Adler's `puff.c` (zlib's `contrib/puff`), the smallest complete decoder — stored,
//! fixed and dynamic blocks, Huffman codes decoded bit by bit. ≈2 KB of component where
//! `miniz_oxide`'s inflater weighed 12 KB; speed does not matter on this cold path. Its
//! input is ours, fixed at build time, and `tests/tests/openapi.rs` compares what it gives
//! with `docs/openapi.json`; still, a malformed stream is `None`, never a panic.

/// The stream, read from the lowest bit of each byte up (RFC 1951 §3.1.1).
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    buf: u32,
    count: u32,
}

impl Bits<'_> {
    /// The next `need` bits (at most 16), the first one lowest.
    fn take(&mut self, need: u32) -> Option<u32> {
        let mut val = self.buf;
        while self.count < need {
            val |= u32::from(*self.data.get(self.pos)?) << self.count;
            self.pos += 1;
            self.count += 8;
        }
        self.buf = val >> need;
        self.count -= need;
        Some(val & ((1 << need) - 1))
    }
}

/// A canonical Huffman code: how many codes of each length, and the symbols in code order.
struct Code {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Code {
    /// The code of the symbols whose code lengths (0: unused) are `lengths`.
    fn new(lengths: &[u8]) -> Code {
        let mut counts = [0u16; 16];
        for &l in lengths {
            if let Some(c) = counts.get_mut(usize::from(l)) {
                *c += 1;
            }
        }
        counts[0] = 0;
        let mut next = [0u16; 16];
        for len in 1..15 {
            next[len + 1] = next[len] + counts[len];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (symbol, &l) in (0u16..).zip(lengths) {
            if let Some(n) = next.get_mut(usize::from(l)).filter(|_| l != 0) {
                if let Some(slot) = symbols.get_mut(usize::from(*n)) {
                    *slot = symbol;
                }
                *n += 1;
            }
        }
        Code { counts, symbols }
    }

    /// The next symbol of `bits` in this code.
    fn decode(&self, bits: &mut Bits<'_>) -> Option<u16> {
        let (mut code, mut first, mut index) = (0u32, 0u32, 0u32);
        for &count in &self.counts[1..] {
            code |= bits.take(1)?;
            let count = u32::from(count);
            if code < first + count {
                return self.symbols.get(usize::try_from((index + code).checked_sub(first)?).ok()?).copied();
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

/// Length codes 257–285: base lengths and extra bits; distance codes 0–29 likewise.
const LENGTH_BASE: [u16; 29] =
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u8; 30] =
    [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

/// A block's literals and back-references, up to its end code (256).
fn block(bits: &mut Bits<'_>, out: &mut Vec<u8>, lengths: &Code, distances: &Code) -> Option<()> {
    loop {
        let symbol = lengths.decode(bits)?;
        match symbol {
            0..=255 => out.push(u8::try_from(symbol).ok()?),
            256 => return Some(()),
            _ => {
                let i = usize::from(symbol - 257);
                let len = usize::from(*LENGTH_BASE.get(i)?) + bits.take(u32::from(*LENGTH_EXTRA.get(i)?))? as usize;
                let d = usize::from(distances.decode(bits)?);
                let dist =
                    usize::from(*DISTANCE_BASE.get(d)?) + bits.take(u32::from(*DISTANCE_EXTRA.get(d)?))? as usize;
                let start = out.len().checked_sub(dist)?;
                for k in start..start + len {
                    let byte = *out.get(k)?;
                    out.push(byte);
                }
            }
        }
    }
}

/// A block with its own codes, themselves Huffman-coded (RFC 1951 §3.2.7).
fn dynamic(bits: &mut Bits<'_>, out: &mut Vec<u8>) -> Option<()> {
    const ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
    let literals = bits.take(5)? as usize + 257;
    let distances = bits.take(5)? as usize + 1;
    let code_lengths = bits.take(4)? as usize + 4;
    if literals > 286 || distances > 30 {
        return None;
    }
    let mut lengths = [0u8; 316];
    for &at in ORDER.get(..code_lengths)? {
        lengths[at] = u8::try_from(bits.take(3)?).ok()?;
    }
    let code = Code::new(&lengths[..19]);
    let total = literals + distances;
    let mut at = 0;
    while at < total {
        let symbol = code.decode(bits)?;
        let (length, repeat) = match symbol {
            0..=15 => (u8::try_from(symbol).ok()?, 1),
            16 => (*lengths.get(at.checked_sub(1)?)?, 3 + bits.take(2)?),
            17 => (0, 3 + bits.take(3)?),
            _ => (0, 11 + bits.take(7)?),
        };
        let end = at + repeat as usize;
        lengths.get_mut(at..end).filter(|_| end <= total)?.fill(length);
        at = end;
    }
    let (literal_lengths, distance_lengths) = lengths[..total].split_at(literals);
    block(bits, out, &Code::new(literal_lengths), &Code::new(distance_lengths))
}

/// The bytes a raw deflate stream (RFC 1951) holds; `None` if it is not one.
pub(super) fn inflate(data: &[u8]) -> Option<Vec<u8>> {
    let mut bits = Bits { data, pos: 0, buf: 0, count: 0 };
    let mut out = Vec::with_capacity(data.len() * 8);
    loop {
        let last = bits.take(1)? == 1;
        match bits.take(2)? {
            0 => {
                // Stored: from the next byte, its length, the length's complement, the bytes.
                bits.buf = 0;
                bits.count = 0;
                let head = data.get(bits.pos..bits.pos + 4)?;
                let len = u16::from_le_bytes([head[0], head[1]]);
                if len != !u16::from_le_bytes([head[2], head[3]]) {
                    return None;
                }
                let start = bits.pos + 4;
                out.extend_from_slice(data.get(start..start + usize::from(len))?);
                bits.pos = start + usize::from(len);
            }
            1 => {
                // Fixed codes (RFC 1951 §3.2.6).
                let mut lengths = [8u8; 288];
                lengths[144..256].fill(9);
                lengths[256..280].fill(7);
                block(&mut bits, &mut out, &Code::new(&lengths), &Code::new(&[5; 30]))?;
            }
            2 => dynamic(&mut bits, &mut out)?,
            _ => return None,
        }
        if last {
            return Some(out);
        }
    }
}
