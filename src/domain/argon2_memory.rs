//! argon2's working memory (19+ MiB per hash), allocated so that it goes back to the OS.
//!
//! argon2 allocates its blocks on every hash by default. With glibc's malloc, freeing a mapped
//! chunk raises the process's mmap threshold to that chunk's size, so from the second hash on
//! the blocks come from a heap arena and stay resident after they are freed: a `demo` that
//! hashed twice at start idled at 57 MiB instead of 19 (BENCHMARKS.md, memory). glibc never
//! raises the threshold above 32 MiB, so a reservation of more than that is always its own
//! mapping and always unmapped when freed. The reservation is virtual: only the blocks a hash
//! touches become resident.
//!
//! A hashing thread keeps one [`Workspace`] between jobs (no page faults during a login storm)
//! and releases it when idle, so an idle gateway holds none of it.

use argon2::Block;

/// Reserve at least this many bytes, one more MiB than glibc's largest mmap threshold.
const ALWAYS_MAPPED_BYTES: usize = 33 << 20;

/// Reusable argon2 blocks.
#[derive(Default)]
pub struct Workspace {
    blocks: Vec<Block>,
}

impl Workspace {
    /// An empty workspace; nothing is allocated until the first hash.
    pub fn new() -> Self {
        Self::default()
    }

    /// `count` blocks, reserving a mapping of its own the first time.
    pub(crate) fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.blocks.capacity() < count {
            let reserve = count.max(ALWAYS_MAPPED_BYTES / size_of::<Block>());
            self.blocks = Vec::with_capacity(reserve);
        }
        // argon2 overwrites every block it uses; the length only has to cover them.
        self.blocks.resize(count, Block::default());
        &mut self.blocks[..count]
    }

    /// Gives the memory back to the OS.
    pub fn release(&mut self) {
        self.blocks = Vec::new();
    }

    /// Whether memory is held.
    pub fn is_held(&self) -> bool {
        self.blocks.capacity() > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserves_past_the_mmap_threshold_and_releases_all() {
        let mut ws = Workspace::new();
        assert!(!ws.is_held());
        assert_eq!(ws.blocks(19_456).len(), 19_456);
        assert!(ws.blocks.capacity() * size_of::<Block>() > 32 << 20);
        // A larger cost than the reservation gets a larger one.
        assert_eq!(ws.blocks(40_000).len(), 40_000);
        ws.release();
        assert!(!ws.is_held());
    }
}
