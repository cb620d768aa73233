//! The hasher of the local caches' maps: sessions by store key, users by id. moka hashes with
//! SipHash unless told otherwise, a keyed hash against flooding that cost each request about
//! 300 instructions over its two lookups (bench/changes.md). Neither key can be chosen by a
//! client, so a plain multiply-and-fold hash is as safe here:
//! - a session's store key is the SHA-256 of its id (its 32 bytes are what is hashed), so a
//!   key a client sends hashes to a value the client cannot pick, and only keys the store
//!   returned are ever kept;
//! - a user id is assigned by the user store.

use std::hash::{BuildHasher, Hasher};

/// Builds [`KeyHasher`]s.
#[derive(Clone, Copy, Default)]
pub(crate) struct KeyHash;

impl BuildHasher for KeyHash {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher(0)
    }
}

/// Folds eight bytes at a time (one rotate, xor and multiply each): a 32-byte digest in four
/// steps instead of SipHash's rounds.
pub(crate) struct KeyHasher(u64);

/// An odd constant with its bits spread, so that a multiply carries every input bit upwards.
const SPREAD: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl KeyHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SPREAD);
    }
}

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(word);
            self.add(u64::from_le_bytes(b));
        }
        for &b in words.remainder() {
            self.add(u64::from(b));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::Hash;

    fn hash_of(value: impl Hash) -> u64 {
        KeyHash.hash_one(value)
    }

    #[test]
    fn equal_keys_hash_alike_and_different_keys_apart() {
        let a = "3f".repeat(32);
        assert_eq!(hash_of(&a), hash_of(a.clone()));
        // Every one-digit change of a store key, and every nearby user id, lands elsewhere.
        let mut seen = HashSet::new();
        for i in 0..64 {
            let mut k = a.clone().into_bytes();
            k[i] = b'0';
            assert!(
                seen.insert(hash_of(String::from_utf8(k).unwrap())),
                "digit {i}"
            );
        }
        for id in 0..10_000i64 {
            assert!(seen.insert(hash_of(id)), "id {id}");
        }
    }

    #[test]
    fn sequential_ids_spread_over_the_low_and_high_bits() {
        // Map tables index by the low bits and tag by the high ones: both must vary.
        let low: HashSet<u64> = (0..256i64).map(|id| hash_of(id) & 0xff).collect();
        let high: HashSet<u64> = (0..256i64).map(|id| hash_of(id) >> 57).collect();
        assert!(low.len() > 150, "{}", low.len());
        assert!(high.len() > 100, "{}", high.len());
    }
}
