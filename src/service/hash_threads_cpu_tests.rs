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

/// Beside quiet runtimes, a job waits for the one spare thread while that thread has most of
/// a core, though the job is overdue: the spare thread has the core nothing else wants, and
/// the courier would only share it at normal priority. It took such jobs at once, and a hash
/// it had begun in one piece before a load arrived had a worker wait about 45 ms for its core
/// at the start of a login storm (bench/storm.md). Once the spare thread gets no CPU, the
/// courier answers as soon as its readings span a window.
#[test]
fn beside_quiet_runtimes_jobs_wait_for_a_spare_thread_that_gets_cpu() {
    const ON_JOB: Duration = Duration::from_millis(600);
    assert!(ON_JOB > EXPECTED * 2 * 4, "overdue four times over");
    let started = Instant::now();
    let getting_cpu: CpuOf = Arc::new(move |_tid| Some(started.elapsed()));
    let threads = HashThreads::start_with(1, EXPECTED, Switch::new(false), getting_cpu).unwrap();
    let (tx, rx) = channel();
    threads.run(job(0, ON_JOB, &tx));
    threads.run(job(1, Duration::ZERO, &tx));
    for tag in 0..2 {
        let (answered, name, _) = answer(&rx);
        assert_eq!((answered, name.as_str()), (tag, "gatehouse-hash-0"));
    }
    let stuck: CpuOf = Arc::new(|_tid| Some(Duration::from_secs(1)));
    let threads = HashThreads::start_with(1, EXPECTED, Switch::new(false), stuck).unwrap();
    let within = EXPECTED * 2..STALLED * 3;
    answered_by_the_courier(&threads, 2, job(2, ON_JOB, &tx), &rx, within);
}

/// Beside quiet runtimes, a spare thread that gets a trickle of CPU is starved: programs at
/// normal priority fill the cores (a build beside the gateway), and a sign-in competes with
/// them through the courier. Judged as beside busy runtimes, where any CPU counts, such a
/// thread kept its job for the whole patience, and sign-ins beside a busy machine waited
/// 5 s and past the hashing queue's bound.
#[test]
fn beside_quiet_runtimes_a_spare_thread_with_a_trickle_of_cpu_is_starved() {
    let started = Instant::now();
    let trickle: CpuOf = Arc::new(move |_tid| Some(started.elapsed() / 100));
    let threads = HashThreads::start_with(1, EXPECTED, Switch::new(false), trickle).unwrap();
    let (tx, rx) = channel();
    let within = EXPECTED * 2..Duration::from_secs(1);
    answered_by_the_courier(&threads, 0, job(0, PATIENCE * 2, &tx), &rx, within);
}

/// A job waits for the one spare thread, still on a job the courier already answered, while
/// that thread gets CPU, beside busy runtimes or quiet ones: it ends that job soon and takes
/// the next (a job begun at once cannot be given up at a step). Taken for starved, it set the
/// courier's floor off at the start of login storms (bench/storm.md). Once it gets no CPU,
/// the courier answers at once, or beside busy runtimes at its floor's next turn.
#[test]
fn a_job_waits_for_a_spare_thread_that_gets_cpu_on_an_answered_job() {
    const ON_ANSWERED: Duration = Duration::from_millis(1500);
    for busy in [true, false] {
        let floor = if busy { FLOOR_EVERY } else { Duration::ZERO };
        for (getting_cpu, by, within) in [
            (true, "gatehouse-hash-0", ON_ANSWERED / 2..ON_ANSWERED * 2),
            (
                false,
                "gatehouse-courier",
                Duration::ZERO..floor + STALLED * 3,
            ),
        ] {
            // No CPU until the courier has answered the first job, then as `getting_cpu` says.
            let started = Instant::now();
            let gets = Arc::new(AtomicBool::new(false));
            let cpu: CpuOf = {
                let gets = gets.clone();
                Arc::new(move |_tid| {
                    Some(if gets.load(Ordering::Acquire) {
                        started.elapsed()
                    } else {
                        Duration::ZERO
                    })
                })
            };
            let threads = HashThreads::start_with(1, EXPECTED, Switch::new(busy), cpu).unwrap();
            let (tx, rx) = channel();
            // Starved, the spare thread's job is answered by the courier; the thread stays on it.
            threads.run(job(0, ON_ANSWERED, &tx));
            let (tag, name, _) = answer(&rx);
            assert_eq!((tag, name.as_str()), (0, "gatehouse-courier"));
            gets.store(getting_cpu, Ordering::Release);
            let sent = Instant::now();
            threads.run(job(1, Duration::ZERO, &tx));
            let (tag, name, at) = answer(&rx);
            let case = format!("busy {busy}, getting CPU {getting_cpu}");
            assert_eq!((tag, name.as_str()), (1, by), "{case}");
            let waited = at - sent;
            assert!(
                within.contains(&waited),
                "{case}: answered after {waited:?}, not within {within:?}"
            );
        }
    }
}
