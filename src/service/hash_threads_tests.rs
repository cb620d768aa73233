use std::sync::mpsc::{Receiver, Sender, channel};

use super::*;

/// A stand-in for the serving runtimes' load, which a test may switch.
pub(super) struct Switch(pub(super) Arc<AtomicBool>);

impl Switch {
    pub(super) fn new(busy: bool) -> Arc<Self> {
        Arc::new(Self(Arc::new(AtomicBool::new(busy))))
    }
}

impl Load for Switch {
    fn busy(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

pub(super) const EXPECTED: Duration = Duration::from_millis(20);

fn threads(permits: usize, busy: bool) -> HashThreads {
    HashThreads::start(permits, EXPECTED, Switch::new(busy)).unwrap()
}

/// A job that answers the name of the thread that ran it, sent with the time of delivery. On a
/// spare thread it first sleeps for `starve`: a spare the scheduler leaves without CPU.
pub(super) fn job(tag: usize, starve: Duration, out: &Sender<(usize, String, Instant)>) -> Job {
    let out = out.clone();
    Job::new(move |_ws: &mut Workspace, _pace: Pace<'_>| {
        let name = std::thread::current().name().unwrap_or_default().to_owned();
        if name.starts_with("gatehouse-hash-") {
            std::thread::sleep(starve);
        }
        let out = out.clone();
        Box::new(move || {
            let _ = out.send((tag, name, Instant::now()));
        }) as Answer
    })
}

/// A job that, on a spare thread, works for `time` in slices of 5 ms and finishes a step after
/// each (its pause, when paced in steps), until the job is given up: a spare thread that gets
/// CPU, if little. Elsewhere it answers at once. Answers as [`job`] does.
fn working(tag: usize, time: Duration, out: &Sender<(usize, String, Instant)>) -> Job {
    let out = out.clone();
    Job::new(move |_ws: &mut Workspace, pace: Pace<'_>| {
        let name = std::thread::current().name().unwrap_or_default().to_owned();
        if name.starts_with("gatehouse-hash-") {
            let mut pause = match pace {
                Pace::Steps { pause, .. } => Some(pause),
                Pace::AtOnce => None,
            };
            let until = Instant::now() + time;
            while Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
                if let Some(pause) = pause.as_mut()
                    && pause().is_break()
                {
                    break;
                }
            }
        }
        let out = out.clone();
        Box::new(move || {
            let _ = out.send((tag, name, Instant::now()));
        }) as Answer
    })
}

pub(super) fn answer(rx: &Receiver<(usize, String, Instant)>) -> (usize, String, Instant) {
    rx.recv_timeout(Duration::from_secs(10))
        .expect("no answer in 10 s")
}

/// Runs `job` (tagged `tag`) and checks that the courier answered it, `within` that long.
pub(super) fn answered_by_the_courier(
    threads: &HashThreads,
    tag: usize,
    job: Job,
    rx: &Receiver<(usize, String, Instant)>,
    within: std::ops::Range<Duration>,
) {
    let sent = Instant::now();
    threads.run(job);
    let (answered, name, at) = answer(rx);
    assert_eq!((answered, name.as_str()), (tag, "gatehouse-courier"));
    let waited = at - sent;
    assert!(
        within.contains(&waited),
        "answered after {waited:?}, not within {within:?}"
    );
}

/// The scheduling policy of this process's threads named `prefix…` (/proc, field 41).
fn policies(prefix: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        if !stat[open + 1..close].starts_with(prefix) {
            continue;
        }
        // Fields after the name start at field 3; the policy is field 41.
        let policy = stat[close + 2..].split(' ').nth(41 - 3);
        found.extend(policy.and_then(|p| p.parse::<u32>().ok()));
    }
    found
}

const SCHED_OTHER: u32 = 0;
const SCHED_IDLE: u32 = 5;

/// The spare threads run under SCHED_IDLE, the courier at normal priority.
#[test]
fn spare_threads_run_at_idle_priority_and_the_courier_at_normal() {
    let _threads = threads(2, false);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        // The kernel keeps 15 bytes of a thread's name.
        let spares = policies("gatehouse-hash-");
        if !spares.is_empty() && spares.iter().all(|p| *p == SCHED_IDLE) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "hashing threads' policies: {spares:?} (SCHED_IDLE is {SCHED_IDLE})"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let couriers = policies("gatehouse-couri");
    assert!(!couriers.is_empty(), "no courier thread");
    assert!(couriers.iter().all(|p| *p == SCHED_OTHER), "{couriers:?}");
}

/// Threads with a long grace: the courier leaves the jobs to the spare thread for a second,
/// which it gets even while the other tests keep the cores busy.
fn patient(permits: usize) -> HashThreads {
    HashThreads::start(permits, Duration::from_secs(1), Switch::new(false)).unwrap()
}

/// A job that reports which thread ran it and whether that thread held argon2's memory, and
/// optionally makes it hold some.
fn probe(touch: bool, out: &Sender<(String, bool)>) -> Job {
    let out = out.clone();
    Job::new(move |ws: &mut Workspace, _pace: Pace<'_>| {
        let held = ws.is_held();
        if touch {
            ws.blocks(8);
        }
        let report = (
            std::thread::current().name().unwrap_or_default().to_owned(),
            held,
        );
        let out = out.clone();
        Box::new(move || {
            let _ = out.send(report);
        }) as Answer
    })
}

/// A job answers from a spare thread when it gets CPU, and the courier delivers it.
#[test]
fn a_spare_thread_answers_and_the_courier_delivers() {
    let threads = patient(1);
    let (tx, rx) = channel();
    threads.run(job(1, Duration::ZERO, &tx));
    let (tag, name, _) = answer(&rx);
    assert_eq!((tag, name.as_str()), (1, "gatehouse-hash-0"));
}

/// A hashing thread keeps argon2's memory between jobs and gives it back when idle.
#[test]
fn hashing_memory_is_kept_between_jobs_and_released_when_idle() {
    let threads = patient(1);
    let (tx, rx) = channel();
    let next = || {
        rx.recv_timeout(Duration::from_secs(10))
            .expect("no answer in 10 s")
    };
    threads.run(probe(true, &tx));
    let (first, _) = next();
    threads.run(probe(false, &tx));
    let (second, held) = next();
    assert_eq!(second, first, "both jobs on the spare thread");
    assert!(held, "{first} kept its memory for the next job");
    std::thread::sleep(KEEP_MEMORY + Duration::from_millis(500));
    threads.run(probe(false, &tx));
    let (third, held) = next();
    assert!(
        !held,
        "{third} released its memory after {KEEP_MEMORY:?} idle"
    );
}

/// A job whose spare thread gets no CPU is answered by the courier once its grace has passed,
/// and only once.
#[test]
fn a_starved_job_is_answered_by_the_courier() {
    let threads = threads(1, false);
    let (tx, rx) = channel();
    let starved = job(1, Duration::from_secs(3), &tx);
    answered_by_the_courier(
        &threads,
        1,
        starved,
        &rx,
        EXPECTED * 2..Duration::from_secs(3),
    );
    // The spare thread's late copy is not delivered.
    assert!(rx.recv_timeout(Duration::from_secs(4)).is_err());
}

/// Beside busy runtimes, a spare thread that is slow but getting on keeps its job for
/// [`PATIENCE`]: the courier would only take the worker's core for steps of a hash the spare
/// thread finishes anyway (a stepped hash beside a saturating load takes seconds). A job held
/// longer is answered by the courier, though the spare thread still finishes steps. (The
/// patience was twice the spare threads' last hash, at most 1 s: the floor then ran all
/// through a login storm beside wrk's closed loop, for no more sign-ins.)
#[test]
fn beside_busy_runtimes_the_courier_leaves_jobs_to_spare_threads_that_get_on() {
    const SLOW: Duration = Duration::from_millis(2500);
    assert!(
        SLOW > EXPECTED * 2 && SLOW < PATIENCE,
        "slower than the grace, within the patience"
    );
    let threads = threads(1, true);
    let (tx, rx) = channel();
    threads.run(working(0, SLOW, &tx));
    let (tag, name, _) = answer(&rx);
    assert_eq!((tag, name.as_str()), (0, "gatehouse-hash-0"));
    let held_too_long = working(1, Duration::from_secs(20), &tx);
    let within = PATIENCE..PATIENCE + Duration::from_secs(3);
    answered_by_the_courier(&threads, 1, held_too_long, &rx, within);
}

/// Beside busy runtimes, a spare thread that finishes no step of its job for [`STALLED`] gets
/// no CPU at all (a program at normal priority fills the core): the courier answers the job
/// then, without waiting out the patience.
#[test]
fn beside_busy_runtimes_a_spare_thread_that_stalls_is_starved_at_once() {
    let threads = threads(1, true);
    let (tx, rx) = channel();
    let stalled = job(0, Duration::from_secs(10), &tx);
    answered_by_the_courier(&threads, 0, stalled, &rx, STALLED..STALLED * 3);
}

/// While the serving runtimes are busy, the courier hashes once per `FLOOR_EVERY` at most;
/// while they are not, it takes the overdue jobs one after the other.
#[test]
fn the_courier_hashes_once_per_floor_while_the_runtimes_are_busy() {
    for (busy, least_gap) in [(true, FLOOR_EVERY), (false, Duration::ZERO)] {
        let threads = threads(1, busy);
        let (tx, rx) = channel();
        // The first job takes the one spare thread and starves there; all three are overdue.
        for tag in 0..3 {
            threads.run(job(tag, Duration::from_secs(10), &tx));
        }
        let times: Vec<Instant> = (0..3).map(|_| answer(&rx).2).collect();
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(gap >= least_gap, "busy {busy}: answers {gap:?} apart");
            if !busy {
                assert!(gap < FLOOR_EVERY / 2, "not busy: answers {gap:?} apart");
            }
        }
    }
}

/// What the courier's floor got: how it was paced, and how long three pauses took.
fn pace_probe(out: &Sender<(String, Option<usize>, Duration)>) -> Job {
    let out = out.clone();
    Job::new(move |_ws: &mut Workspace, pace: Pace<'_>| {
        let name = std::thread::current().name().unwrap_or_default().to_owned();
        if name.starts_with("gatehouse-hash-") {
            std::thread::sleep(Duration::from_secs(10));
        }
        let (blocks, rested) = match pace {
            Pace::AtOnce => (None, Duration::ZERO),
            Pace::Steps { blocks, pause } => {
                let start = Instant::now();
                for _ in 0..3 {
                    let _ = pause();
                }
                (Some(blocks), start.elapsed())
            }
        };
        let out = out.clone();
        Box::new(move || {
            let _ = out.send((name, blocks, rested));
        }) as Answer
    })
}

/// Beside busy runtimes the courier hashes in steps of `STEP_BLOCKS`, resting `STEP_REST`
/// between them; beside quiet ones it hashes at once.
#[test]
fn the_courier_hashes_in_short_steps_only_beside_busy_runtimes() {
    for busy in [true, false] {
        let threads = threads(1, busy);
        let (tx, rx) = channel();
        threads.run(pace_probe(&tx));
        let (name, blocks, rested) = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("no answer in 10 s");
        assert_eq!(name, "gatehouse-courier");
        if busy {
            assert_eq!(blocks, Some(STEP_BLOCKS));
            assert!(rested >= STEP_REST * 3, "rested {rested:?} in 3 pauses");
        } else {
            assert_eq!(blocks, None, "at once while the runtimes are quiet");
        }
    }
}

/// While the courier hashes in steps (beside busy runtimes, about 1.3 s a hash), it goes on
/// handing out jobs and delivering the spare threads' answers between its steps.
#[test]
fn the_courier_delivers_spare_answers_between_its_steps() {
    let threads = threads(2, true);
    let (started_tx, started) = channel();
    let (tx, rx) = channel();
    let slow = {
        let tx = tx.clone();
        Job::new(move |_ws: &mut Workspace, pace: Pace<'_>| {
            let name = std::thread::current().name().unwrap_or_default().to_owned();
            if name.starts_with("gatehouse-hash-") {
                std::thread::sleep(Duration::from_secs(10));
            }
            if let Pace::Steps { pause, .. } = pace {
                let _ = started_tx.send(());
                // About 1.5 s of steps.
                for _ in 0..1500 {
                    let _ = pause();
                }
            }
            let tx = tx.clone();
            Box::new(move || {
                let _ = tx.send((0, name, Instant::now()));
            }) as Answer
        })
    };
    threads.run(slow);
    started
        .recv_timeout(Duration::from_secs(10))
        .expect("the courier took the overdue job");
    threads.run(job(1, Duration::ZERO, &tx));
    let (first, name, _) = answer(&rx);
    assert_eq!(first, 1, "the quick job's answer comes first");
    assert!(name.starts_with("gatehouse-hash-"), "{name}");
    let (second, name, _) = answer(&rx);
    assert_eq!((second, name.as_str()), (0, "gatehouse-courier"));
}

/// A job for the give-up tests. On the thread whose name starts with `stepper` it calls its
/// pauses until one gives the job up (10 s at most) and sends when, or `None`; on the other it
/// waits `others_wait`. Either answers `(0, its thread's name, the time of delivery)`.
fn give_up_probe(
    stepper: &'static str,
    others_wait: Duration,
    out: &Sender<(usize, String, Instant)>,
    gave_up: Sender<Option<Instant>>,
) -> Job {
    let out = out.clone();
    Job::new(move |_ws: &mut Workspace, pace: Pace<'_>| {
        let name = std::thread::current().name().unwrap_or_default().to_owned();
        if !name.starts_with(stepper) {
            std::thread::sleep(others_wait);
        } else if let Pace::Steps { pause, .. } = pace {
            let start = Instant::now();
            let mut broke = None;
            while broke.is_none() && start.elapsed() < Duration::from_secs(10) {
                if pause().is_break() {
                    broke = Some(Instant::now());
                }
            }
            let _ = gave_up.send(broke);
        }
        let out = out.clone();
        Box::new(move || {
            let _ = out.send((0, name, Instant::now()));
        }) as Answer
    })
}

/// Checks what [`give_up_probe`] sent: `who` gave its job up within 2 s of the other thread's
/// answer, delivered at `answered`.
fn given_up_soon(gave_up: &Receiver<Option<Instant>>, answered: Instant, who: &str) {
    let broke = gave_up
        .recv_timeout(Duration::from_secs(15))
        .unwrap_or_else(|_| panic!("{who}: the job never ended"))
        .unwrap_or_else(|| panic!("{who} kept hashing 10 s after the other had answered"));
    let after = broke.saturating_duration_since(answered);
    assert!(
        after < Duration::from_secs(2),
        "{who} gave it up {after:?} after"
    );
}

/// Beside busy runtimes, a spare thread starved on a job (slower than the courier's patience)
/// gives it up at its next pause once the courier has answered it, and is free for the next
/// job at once.
#[test]
fn a_spare_thread_gives_up_a_job_the_courier_answered() {
    let threads = threads(1, true);
    let (tx, rx) = channel();
    let (gave_up_tx, gave_up) = channel();
    threads.run(give_up_probe(
        "gatehouse-hash-",
        Duration::ZERO,
        &tx,
        gave_up_tx,
    ));
    let (tag, name, answered) = answer(&rx);
    assert_eq!((tag, name.as_str()), (0, "gatehouse-courier"));
    given_up_soon(&gave_up, answered, "the spare thread");
    // Free again: a quick job is the spare thread's, answered long before the courier's floor
    // would allow it another.
    let sent = Instant::now();
    threads.run(job(1, Duration::ZERO, &tx));
    let (tag, name, at) = answer(&rx);
    assert_eq!(tag, 1);
    assert!(name.starts_with("gatehouse-hash-"), "run by {name}");
    let waited = at - sent;
    assert!(waited < Duration::from_secs(1), "answered after {waited:?}");
    // What the given-up job answered is never delivered.
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
}

/// Beside busy runtimes, the courier gives up a job at its next step once the spare thread
/// that also had it has answered: the spare thread's answer is delivered, and the courier's
/// steps stop taking the worker's core.
#[test]
fn the_courier_gives_up_a_job_a_spare_thread_answered() {
    let threads = threads(1, true);
    let (tx, rx) = channel();
    let (steps_tx, steps) = channel();
    // The spare thread is starved past the courier's patience (1 s while no hash has been
    // timed), then answers while the courier is still stepping.
    threads.run(give_up_probe(
        "gatehouse-courier",
        Duration::from_millis(1500),
        &tx,
        steps_tx,
    ));
    let (tag, name, answered) = answer(&rx);
    assert_eq!(
        (tag, name.as_str()),
        (0, "gatehouse-hash-0"),
        "the spare thread's answer is delivered"
    );
    given_up_soon(&steps, answered, "the courier");
    assert!(
        rx.recv_timeout(Duration::from_millis(200)).is_err(),
        "one answer"
    );
}

/// What a spare thread's job saw: how it was paced, how long three pauses took, and how long
/// its pauses kept resting after `calmed` was received.
type SparePace = (String, Option<usize>, Duration, Option<Duration>);

fn spare_pace_probe(rested: Sender<()>, calmed: Receiver<()>, out: &Sender<SparePace>) -> Job {
    let out = out.clone();
    let channels = Mutex::new((rested, calmed));
    Job::new(move |_ws: &mut Workspace, pace: Pace<'_>| {
        let name = std::thread::current().name().unwrap_or_default().to_owned();
        let (blocks, three, calm) = match pace {
            Pace::AtOnce => (None, Duration::ZERO, None),
            Pace::Steps { blocks, pause } => {
                let start = Instant::now();
                for _ in 0..3 {
                    let _ = pause();
                }
                let three = start.elapsed();
                let channels = channels.lock().unwrap_or_else(PoisonError::into_inner);
                let _ = channels.0.send(());
                let _ = channels.1.recv_timeout(Duration::from_secs(5));
                let calmed = Instant::now();
                // Pauses go on resting until the spare thread learns the runtimes are calm.
                let calm = loop {
                    let one = Instant::now();
                    let _ = pause();
                    if one.elapsed() < STEP_REST / 2 {
                        break Some(calmed.elapsed());
                    }
                    if calmed.elapsed() > Duration::from_secs(5) {
                        break None;
                    }
                };
                (Some(blocks), three, calm)
            }
        };
        let out = out.clone();
        Box::new(move || {
            let _ = out.send((name, blocks, three, calm));
        }) as Answer
    })
}

/// Beside busy runtimes a spare thread, too, hashes in steps of `STEP_BLOCKS` with a rest of
/// `STEP_REST` after each: under `SCHED_IDLE` alone, the scheduler still gives it a whole tick
/// of a busy worker's core now and then (see the module's doc). Its rests stop soon after the
/// runtimes calm down, and a job it starts beside quiet runtimes runs at once.
#[test]
fn spare_threads_rest_between_steps_only_while_the_runtimes_are_busy() {
    let load = Switch::new(true);
    let busy = load.0.clone();
    // A long grace: the courier leaves the jobs to the spare thread.
    let threads = HashThreads::start(1, Duration::from_secs(1), load).unwrap();
    let (tx, rx) = channel();
    let (rested_tx, rested) = channel();
    let (calmed, calmed_rx) = channel();
    threads.run(spare_pace_probe(rested_tx, calmed_rx, &tx));
    rested
        .recv_timeout(Duration::from_secs(10))
        .expect("the spare thread paused three times");
    busy.store(false, Ordering::Release);
    let _ = calmed.send(());
    let (name, blocks, three, calm) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("no answer in 10 s");
    assert!(name.starts_with("gatehouse-hash-"), "run by {name}");
    assert_eq!(blocks, Some(STEP_BLOCKS), "in steps beside busy runtimes");
    assert!(three >= STEP_REST * 3, "rested {three:?} in 3 pauses");
    let calm = calm.expect("still resting 5 s after the runtimes calmed down");
    assert!(calm < Duration::from_secs(1), "rested for {calm:?} after");

    let (rested_tx, _rested) = channel();
    let (_calmed, calmed_rx) = channel();
    threads.run(spare_pace_probe(rested_tx, calmed_rx, &tx));
    let (name, blocks, _, _) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("no answer in 10 s");
    assert!(name.starts_with("gatehouse-hash-"), "run by {name}");
    assert_eq!(blocks, None, "at once beside quiet runtimes");
}
