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
/// answers [`STALLED`] after the spare thread took its job.
#[test]
fn beside_busy_runtimes_a_job_waits_for_a_spare_thread_that_gets_cpu_on_an_answered_job() {
    const ON_ANSWERED: Duration = Duration::from_millis(1500);
    // How long after the first job was sent the second is answered.
    for (getting_cpu, by, within) in [
        (true, "gatehouse-hash-0", ON_ANSWERED..ON_ANSWERED * 2),
        (false, "gatehouse-courier", STALLED..STALLED * 3),
    ] {
        let started = Instant::now();
        // A quarter of a core: less than the courier leaves a job to beside quiet runtimes.
        let cpu: CpuOf = Arc::new(move |_tid| {
            Some(if getting_cpu {
                started.elapsed() / 4
            } else {
                Duration::ZERO
            })
        });
        let switch = Switch::new(false);
        let busy = switch.0.clone();
        let threads = HashThreads::start_with(1, EXPECTED, switch, cpu).unwrap();
        let (tx, rx) = channel();
        // Beside quiet runtimes the courier answers the overdue job; the spare thread stays on it.
        let sent = Instant::now();
        threads.run(job(0, ON_ANSWERED, &tx));
        let (tag, name, _) = answer(&rx);
        assert_eq!((tag, name.as_str()), (0, "gatehouse-courier"));
        busy.store(true, Ordering::Release);
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

/// Beside quiet runtimes, the courier leaves an overdue job to a spare thread that has had
/// [`HALF_CORE`] or more since it took it, and a job waiting for that thread waits too: such a
/// thread ends its job soon, and a courier hashing beside it only takes the same CPU, in one
/// piece. When a proxied load arrived in the middle of such a hash, the worker shared its core
/// with the courier to the end of it, and some login storms' proxied p99 read 1.8–3.4 times
/// the quiet one (bench/storm.md). A spare thread with less (other programs hold the cores)
/// has its overdue job answered by the courier, once it has been slow for [`SETTLE`].
#[test]
fn beside_quiet_runtimes_the_courier_leaves_jobs_to_a_spare_thread_with_most_of_a_core() {
    const ON_SPARE: Duration = Duration::from_millis(400);
    assert!(ON_SPARE > EXPECTED * 2 * 4, "overdue several times over");
    let started = Instant::now();
    let whole_core: CpuOf = Arc::new(move |_tid| Some(started.elapsed()));
    let threads = HashThreads::start_with(1, EXPECTED, Switch::new(false), whole_core).unwrap();
    let (tx, rx) = channel();
    // One spare thread: the second job waits for it.
    threads.run(job(0, ON_SPARE, &tx));
    threads.run(job(1, ON_SPARE, &tx));
    for tag in 0..2 {
        let (answered, name, _) = answer(&rx);
        assert_eq!((answered, name.as_str()), (tag, "gatehouse-hash-0"));
    }
    for (share, divisor) in [("a tenth", 10), ("none", 0)] {
        let cpu: CpuOf = Arc::new(move |_tid| {
            Some(match divisor {
                0 => Duration::ZERO,
                d => started.elapsed() / d,
            })
        });
        let threads = HashThreads::start_with(1, EXPECTED, Switch::new(false), cpu).unwrap();
        let within = EXPECTED * 2 + SETTLE..ON_SPARE;
        answered_by_the_courier(&threads, 2, job(2, ON_SPARE, &tx), &rx, within.clone());
        assert!(
            rx.recv_timeout(ON_SPARE).is_err(),
            "{share} of a core: the spare thread's late copy is not delivered"
        );
    }
}
