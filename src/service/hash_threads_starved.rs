//! When the courier takes a job: whether the spare threads are starved (see the rules in
//! src/service/hash_threads.rs), judged by their steps and their CPU time.

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{Courier, LOOK_EVERY, PATIENCE, QUIET_SHARE, STALLED};

impl Courier {
    /// Reads the CPU time of the spare threads on a job, each round (so at least every
    /// [`LOOK_EVERY`]), which bounds how stale a stall can look.
    pub(super) fn read_cpu(&mut self) {
        let now = Instant::now();
        for (i, (slot, _)) in self.spares.iter().enumerate() {
            if slot.busy.load(Ordering::Acquire) {
                self.cpu.read(i, slot.tid.get().copied(), now);
            }
        }
    }

    /// When spare thread `spare`, handed its job at `handed`, counts as starved: stalled (no
    /// CPU and no step since it was handed the job, or since the last of either), or on the job
    /// too long; beside quiet runtimes also short of [`QUIET_SHARE`] of a core.
    fn starved_at(
        &self,
        spare: usize,
        handed: Instant,
        stepped: Option<Instant>,
        busy: bool,
    ) -> Instant {
        if !busy {
            match self.cpu.share(spare, LOOK_EVERY) {
                Some(share) if share >= QUIET_SHARE => {}
                // Known after one more window of readings (taken at least every LOOK_EVERY
                // while the thread is on a job); if they still do not span it then, starved.
                None if self.cpu.readable(spare) => return handed + LOOK_EVERY * 2,
                // Little CPU, or none to be read: other programs may fill the cores.
                _ => return handed,
            }
        }
        let got_on = [stepped, self.cpu.grew(spare)]
            .into_iter()
            .flatten()
            .fold(handed, Instant::max);
        (got_on + STALLED).min(handed + PATIENCE)
    }

    /// `Ok` when the spare threads are starved (see the module's doc), else when to look again.
    pub(super) fn starved(&self, now: Instant, busy: bool) -> Result<(), Instant> {
        let held = self.pending.iter().filter_map(|p| {
            let (spare, handed) = p.on_spare?;
            Some(self.starved_at(spare, handed, p.job.stepped(), busy))
        });
        let at = match held.min() {
            Some(at) => at,
            // Nothing on a spare thread: a free one takes a job at the next round.
            None if self
                .spares
                .iter()
                .any(|(slot, _)| !slot.busy.load(Ordering::Acquire)) =>
            {
                return Err(now + self.grace);
            }
            // Every spare thread is still on a job the courier already answered (begun at
            // once, so not given up at a step): a job waits until one of them ends, which it
            // does soon if it gets CPU. Starved only once none of them does.
            None => (0..self.spares.len())
                .filter_map(|i| Some(self.starved_at(i, self.cpu.handed_at(i)?, None, busy)))
                .max()
                .unwrap_or(now),
        };
        if now < at { Err(at) } else { Ok(()) }
    }
}
