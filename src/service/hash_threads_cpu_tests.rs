//! The courier's judgement of a spare thread by its CPU time (src/service/thread_cpu.rs),
//! with a stand-in for the kernel's reading: a spare thread that gets CPU while its job sleeps.

use std::sync::mpsc::channel;

use super::tests::{EXPECTED, Switch, answer, answered_by_the_courier, job};
use super::*;

/// Beside busy runtimes, a spare thread that gets CPU keeps its job though it finishes no
/// step: a job it began at once beside quiet runtimes shows none. Judged by its steps alone it
/// was starved after [`STALLED`], and the courier's floor took a worker's core for a stepped
/// hash at the start of most login storms (bench/storm.md). Here the spare thread's CPU time,
/// as the courier reads it, grows all along while its job sleeps without steps.
#[test]
fn beside_busy_runtimes_a_spare_thread_that_gets_cpu_without_steps_keeps_its_job() {
    const NO_STEPS: Duration = Duration::from_millis(1500);
    assert!(
        NO_STEPS > STALLED * 4 && NO_STEPS < PATIENCE,
        "stalled four times over by its steps, within the patience"
    );
    let started = Instant::now();
    let getting_cpu: CpuOf = Arc::new(move |_tid| Some(started.elapsed()));
    let threads = HashThreads::start_with(1, EXPECTED, Switch::new(true), getting_cpu).unwrap();
    let (tx, rx) = channel();
    threads.run(job(0, NO_STEPS, &tx));
    let (tag, name, _) = answer(&rx);
    assert_eq!((tag, name.as_str()), (0, "gatehouse-hash-0"));
    // Its CPU time stops growing: starved, and the courier answers the next job.
    let stuck: CpuOf = Arc::new(|_tid| Some(Duration::from_secs(1)));
    let threads = HashThreads::start_with(1, EXPECTED, Switch::new(true), stuck).unwrap();
    answered_by_the_courier(
        &threads,
        1,
        job(1, NO_STEPS, &tx),
        &rx,
        STALLED..STALLED * 3,
    );
}

/// Beside busy runtimes, a job waits for the one spare thread, still on a job the courier
/// already answered, while that thread gets CPU: it ends that job soon and takes the next (a
/// job begun at once cannot be given up at a step). Taken for starved, it set the courier's
/// floor off at the start of login storms (bench/storm.md). Once it gets no CPU, the courier
/// answers after [`STALLED`].
#[test]
fn beside_busy_runtimes_a_job_waits_for_a_spare_thread_that_gets_cpu_on_an_answered_job() {
    const ON_ANSWERED: Duration = Duration::from_millis(1500);
    for (getting_cpu, by, within) in [
        (true, "gatehouse-hash-0", ON_ANSWERED / 2..ON_ANSWERED * 2),
        (false, "gatehouse-courier", STALLED / 2..STALLED * 3),
    ] {
        let started = Instant::now();
        let cpu: CpuOf = Arc::new(move |_tid| {
            Some(if getting_cpu {
                started.elapsed()
            } else {
                Duration::ZERO
            })
        });
        let switch = Switch::new(false);
        let busy = switch.0.clone();
        let threads = HashThreads::start_with(1, EXPECTED, switch, cpu).unwrap();
        let (tx, rx) = channel();
        // Beside quiet runtimes the courier answers the overdue job; the spare thread stays on it.
        threads.run(job(0, ON_ANSWERED, &tx));
        let (tag, name, _) = answer(&rx);
        assert_eq!((tag, name.as_str()), (0, "gatehouse-courier"));
        busy.store(true, Ordering::Release);
        let sent = Instant::now();
        threads.run(job(1, Duration::ZERO, &tx));
        let (tag, name, at) = answer(&rx);
        assert_eq!((tag, name.as_str()), (1, by), "getting CPU: {getting_cpu}");
        let waited = at - sent;
        assert!(
            within.contains(&waited),
            "getting CPU {getting_cpu}: answered after {waited:?}, not within {within:?}"
        );
    }
}
