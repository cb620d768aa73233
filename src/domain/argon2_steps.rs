//! argon2id computed a few blocks at a time, for the one hash that must run beside a busy
//! serving runtime (src/service/hash_threads.rs, the courier's floor).
//!
//! The `argon2` crate fills all of a hash's memory in one call (15–45 ms of CPU), and a thread
//! the scheduler runs for that long beside a saturated worker delays the worker by whole
//! scheduler slices: a login storm's p99 went from 0.3 to 3 ms on one core (bench/storm.md).
//! This is the same function (RFC 9106, argon2id, versions 0x10 and 0x13), in steps of at most
//! a given number of blocks, so that the caller can pause between them. Everything else runs on
//! the crate: the spare hashing threads, and every hash while the runtime is not busy.
//!
//! Checked against the crate (the same tag for every cost, lane count, version, length, secret
//! and password in the tests) and against RFC 9106's argon2id test vector.

use argon2::Block;
use blake2::{Blake2b256, Blake2b512, Digest};
use zeroize::Zeroize;

/// Words in a block.
const WORDS: usize = 128;
/// Slices per pass (the synchronisation points).
const SLICES: usize = 4;
/// argon2id's type number in the initial hash and the address blocks.
const ARGON2ID: u64 = 2;

/// The inputs of one hash.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    pub password: &'a [u8],
    pub salt: &'a [u8],
    /// The secret (our pepper), if any.
    pub secret: &'a [u8],
    /// Associated data (RFC 9106's X; empty for passwords).
    pub data: &'a [u8],
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
    /// 0x10 or 0x13.
    pub version: u32,
    /// The tag's length: 32 or 64 (the lengths this implementation hashes to).
    pub tag_len: usize,
}

/// A hash in progress over caller-owned memory.
pub struct Steps<'m> {
    memory: &'m mut [Block],
    lanes: usize,
    lane_len: usize,
    segment_len: usize,
    passes: usize,
    version: u32,
    tag_len: usize,
    /// The next block: pass, slice, lane, and index in the segment.
    at: (usize, usize, usize, usize),
    address: [u64; WORDS],
    input: [u64; WORDS],
}

/// Why a hash cannot run here (the caller then hashes with the crate).
#[derive(Debug, PartialEq, Eq)]
pub struct Unsupported;

impl<'m> Steps<'m> {
    /// The number of blocks `inputs` needs.
    pub fn blocks(inputs: &Inputs<'_>) -> usize {
        let lanes = inputs.lanes.max(1) as usize;
        let per_lane = (inputs.memory_kib as usize).max(8 * lanes) / (SLICES * lanes) * SLICES;
        per_lane * lanes
    }

    /// Starts a hash: the initial hash and each lane's first two blocks. `memory` must hold
    /// [`Self::blocks`] blocks.
    pub fn start(inputs: &Inputs<'_>, memory: &'m mut [Block]) -> Result<Self, Unsupported> {
        let ok = matches!(inputs.version, 0x10 | 0x13)
            && matches!(inputs.tag_len, 32 | 64)
            && inputs.lanes >= 1
            && inputs.passes >= 1
            && memory.len() >= Self::blocks(inputs);
        if !ok {
            return Err(Unsupported);
        }
        let lanes = inputs.lanes as usize;
        let count = Self::blocks(inputs);
        let memory = &mut memory[..count];
        let lane_len = count / lanes;
        let le = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
        let mut h0 = Blake2b512::new();
        for word in [
            inputs.lanes,
            inputs.tag_len as u32,
            inputs.memory_kib,
            inputs.passes,
            inputs.version,
            ARGON2ID as u32,
        ] {
            h0.update(word.to_le_bytes());
        }
        for part in [inputs.password, inputs.salt, inputs.secret, inputs.data] {
            h0.update(le(part.len()));
            h0.update(part);
        }
        let mut h0 = h0.finalize();
        let mut bytes = [0u8; 1024];
        for lane in 0..lanes {
            for i in 0..2 {
                long_hash(&[&h0, &le(i), &le(lane)], &mut bytes);
                let block = memory[lane * lane_len + i].as_mut();
                for (word, chunk) in block.iter_mut().zip(bytes.chunks_exact(8)) {
                    *word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
                }
            }
        }
        h0.as_mut_slice().zeroize();
        bytes.zeroize();
        Ok(Self {
            memory,
            lanes,
            lane_len,
            segment_len: lane_len / SLICES,
            passes: inputs.passes as usize,
            version: inputs.version,
            tag_len: inputs.tag_len,
            at: (0, 0, 0, 0),
            address: [0; WORDS],
            input: [0; WORDS],
        })
    }

    /// Fills up to `budget` more blocks; `true` once every block of every pass is filled.
    pub fn step(&mut self, budget: usize) -> bool {
        let mut left = budget;
        while left > 0 {
            let (pass, slice, lane, index) = self.at;
            if pass == self.passes {
                return true;
            }
            let independent = pass == 0 && slice < SLICES / 2;
            let first = if pass == 0 && slice == 0 { 2 } else { 0 };
            let index = index.max(first);
            if index == first && independent {
                self.input = [0; WORDS];
                self.input[..6].copy_from_slice(&[
                    pass as u64,
                    lane as u64,
                    slice as u64,
                    self.memory.len() as u64,
                    self.passes as u64,
                    ARGON2ID,
                ]);
                if first == 2 {
                    self.next_addresses();
                }
            }
            let end = self.segment_len.min(index.saturating_add(left));
            for block in index..end {
                self.fill(pass, slice, lane, block, independent);
            }
            left -= end - index;
            self.at = if end < self.segment_len {
                (pass, slice, lane, end)
            } else if lane + 1 < self.lanes {
                (pass, slice, lane + 1, 0)
            } else if slice + 1 < SLICES {
                (pass, slice + 1, 0, 0)
            } else {
                (pass + 1, 0, 0, 0)
            };
        }
        self.at.0 == self.passes
    }

    /// The tag, once [`Self::step`] said done, into `out`, which must be as long as the tag
    /// `start` was asked for.
    pub fn tag(&self, out: &mut [u8]) -> Result<(), Unsupported> {
        if out.len() != self.tag_len {
            return Err(Unsupported);
        }
        let mut last = [0u64; WORDS];
        for lane in 0..self.lanes {
            let block = self.memory[lane * self.lane_len + self.lane_len - 1].as_ref();
            for (x, y) in last.iter_mut().zip(block) {
                *x ^= y;
            }
        }
        let mut bytes = [0u8; 1024];
        for (chunk, word) in bytes.chunks_exact_mut(8).zip(last) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        long_hash(&[&bytes], out);
        // As the crate does: what the tag came from does not outlive it.
        last.zeroize();
        bytes.zeroize();
        Ok(())
    }

    fn next_addresses(&mut self) {
        self.input[6] += 1;
        let zero = [0u64; WORDS];
        let once = compress(&zero, &self.input);
        self.address = compress(&zero, &once);
    }

    /// Fills block `block` of the segment (RFC 9106, 3.4).
    fn fill(&mut self, pass: usize, slice: usize, lane: usize, block: usize, independent: bool) {
        let current = lane * self.lane_len + slice * self.segment_len + block;
        let previous = if slice == 0 && block == 0 {
            current + self.lane_len - 1
        } else {
            current - 1
        };
        let rand = if independent {
            if block.is_multiple_of(WORDS) {
                self.next_addresses();
            }
            self.address[block % WORDS]
        } else {
            self.memory[previous].as_ref()[0]
        };
        let ref_lane = if pass == 0 && slice == 0 {
            lane
        } else {
            (rand >> 32) as usize % self.lanes
        };
        let seg = self.segment_len;
        let area = match (pass, ref_lane == lane) {
            (0, _) if slice == 0 => block - 1,
            (0, true) => slice * seg + block - 1,
            (0, false) => slice * seg - usize::from(block == 0),
            (_, true) => self.lane_len - seg + block - 1,
            (_, false) => self.lane_len - seg - usize::from(block == 0),
        };
        let x = (rand & 0xFFFF_FFFF).wrapping_mul(rand & 0xFFFF_FFFF) >> 32;
        let relative = area - 1 - ((area as u64 * x) >> 32) as usize;
        let start = if pass != 0 && slice != SLICES - 1 {
            (slice + 1) * seg
        } else {
            0
        };
        let reference = ref_lane * self.lane_len + (start + relative) % self.lane_len;
        let new = compress(
            words(&self.memory[previous]),
            words(&self.memory[reference]),
        );
        let target = self.memory[current].as_mut();
        if pass == 0 || self.version == 0x10 {
            target.copy_from_slice(&new);
        } else {
            for (t, n) in target.iter_mut().zip(new) {
                *t ^= n;
            }
        }
    }
}

fn words(block: &Block) -> &[u64; WORDS] {
    block.as_ref().try_into().unwrap_or(&[0; WORDS])
}

/// H' (RFC 9106, 3.3): BLAKE2b of any output length.
fn long_hash(inputs: &[&[u8]], out: &mut [u8]) {
    let len = u32::try_from(out.len()).unwrap_or(u32::MAX).to_le_bytes();
    if out.len() <= 64 {
        // The only short lengths asked for are the tag lengths `start` accepts, 32 and 64
        // (`tag` refuses any other): a BLAKE2b-512 truncated would not be BLAKE2b of that length.
        if out.len() == 32 {
            let mut h = Blake2b256::new();
            h.update(len);
            inputs.iter().for_each(|i| h.update(i));
            out.copy_from_slice(&h.finalize());
        } else {
            let mut h = Blake2b512::new();
            h.update(len);
            inputs.iter().for_each(|i| h.update(i));
            out.copy_from_slice(&h.finalize()[..out.len()]);
        }
        return;
    }
    let mut h = Blake2b512::new();
    h.update(len);
    inputs.iter().for_each(|i| h.update(i));
    let mut v = h.finalize();
    let mut at = 0;
    while out.len() - at > 64 {
        out[at..at + 32].copy_from_slice(&v[..32]);
        at += 32;
        v = Blake2b512::digest(v);
    }
    // Every length asked for here (1024) leaves exactly 64 bytes: a full BLAKE2b-512.
    let rest = out.len() - at;
    out[at..].copy_from_slice(&v[..rest]);
}

/// G (RFC 9106, 3.5): BlaMka rounds over the rows, then the columns, of X xor Y.
///
/// Each round works on 16 words at fixed places (a row in place, a column copied out as word
/// pairs and back), so that the compiler keeps them in registers with no bounds checks:
/// written with index arrays built at run time, this function made a stepped hash three times
/// as slow as the crate's.
fn compress(x: &[u64; WORDS], y: &[u64; WORDS]) -> [u64; WORDS] {
    let mut r = [0u64; WORDS];
    for ((w, a), b) in r.iter_mut().zip(x).zip(y) {
        *w = a ^ b;
    }
    let mut q = r;
    // Rows: 8 runs of 16 consecutive words.
    for row in q.as_chunks_mut::<16>().0 {
        round(row);
    }
    // Columns: column `col` is the word pairs at 2 * col in each row.
    for col in 0..8 {
        let mut w = [0u64; 16];
        for (i, pair) in w.chunks_exact_mut(2).enumerate() {
            let at = i * 16 + 2 * col;
            pair.copy_from_slice(&q[at..at + 2]);
        }
        round(&mut w);
        for (i, pair) in w.chunks_exact(2).enumerate() {
            let at = i * 16 + 2 * col;
            q[at..at + 2].copy_from_slice(pair);
        }
    }
    for (w, r) in q.iter_mut().zip(r) {
        *w ^= r;
    }
    q
}

/// One BLAKE2b round on 16 words, with BlaMka's multiplication.
#[inline(always)]
fn round(w: &mut [u64; 16]) {
    #[inline(always)]
    fn mix(x: u64, y: u64) -> u64 {
        let lo = (x & 0xFFFF_FFFF).wrapping_mul(y & 0xFFFF_FFFF);
        x.wrapping_add(y).wrapping_add(lo.wrapping_mul(2))
    }
    #[inline(always)]
    fn g(w: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize) {
        w[a] = mix(w[a], w[b]);
        w[d] = (w[d] ^ w[a]).rotate_right(32);
        w[c] = mix(w[c], w[d]);
        w[b] = (w[b] ^ w[c]).rotate_right(24);
        w[a] = mix(w[a], w[b]);
        w[d] = (w[d] ^ w[a]).rotate_right(16);
        w[c] = mix(w[c], w[d]);
        w[b] = (w[b] ^ w[c]).rotate_right(63);
    }
    g(w, 0, 4, 8, 12);
    g(w, 1, 5, 9, 13);
    g(w, 2, 6, 10, 14);
    g(w, 3, 7, 11, 15);
    g(w, 0, 5, 10, 15);
    g(w, 1, 6, 11, 12);
    g(w, 2, 7, 8, 13);
    g(w, 3, 4, 9, 14);
}

#[cfg(test)]
#[path = "argon2_steps_tests.rs"]
mod tests;
