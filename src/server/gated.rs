//! A future polled only when its own waker has fired.
//!
//! `tokio::select!` polls every branch each time its task wakes, whichever branch the wake
//! was for. A connection's task wakes twice per proxied request (the client's bytes, the
//! upstream's answer), and each time its watchdog would read the clock, look at the stop
//! channel under its lock and poll its timer, for nothing: the watchdog's own wakes (a timer
//! running out, the server stopping) are rare. Gated, the watchdog is polled when one of them
//! fired, and a wake for the connection costs a flag test.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;

/// `F`, polled only after the waker it was last given has been woken (and once at first).
/// `F` is `Unpin` (pin it in place with `std::pin::pin!`), so no unsafe code reaches in.
pub struct Gated<F> {
    inner: F,
    gate: Arc<Gate>,
    /// `gate` as a waker, made once: the inner futures see the same waker at every poll and
    /// keep the one they registered.
    waker: Waker,
}

/// Where a wake of the inner future lands: a flag, and the task to wake.
struct Gate {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Gate {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // The flag first: the task, once woken, must find it set.
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl<F: Future + Unpin> Gated<F> {
    pub fn new(inner: F) -> Self {
        let gate = Arc::new(Gate {
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        Self {
            inner,
            waker: Waker::from(gate.clone()),
            gate,
        }
    }
}

impl<F: Future + Unpin> Future for Gated<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        // Before the flag is read: a wake between the two still reaches this task.
        this.gate.task.register(cx.waker());
        if !this.gate.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll(&mut Context::from_waker(&this.waker))
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use super::*;

    /// Counts its polls and keeps the last waker it was given; never ready.
    struct Counting<'a> {
        polls: &'a AtomicUsize,
        waker: &'a std::sync::Mutex<Option<Waker>>,
    }

    impl Future for Counting<'_> {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.polls.fetch_add(1, Ordering::SeqCst);
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        }
    }

    /// Counts the wakes of the task polling the gated future.
    struct TaskWakes(AtomicUsize);

    impl Wake for TaskWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn the_inner_future_is_polled_only_after_its_own_waker_fired() {
        let (polls, inner_waker) = (AtomicUsize::new(0), std::sync::Mutex::new(None));
        let mut gated = Gated::new(Counting {
            polls: &polls,
            waker: &inner_waker,
        });
        let task = Arc::new(TaskWakes(AtomicUsize::new(0)));
        let task_waker = Waker::from(task.clone());
        let mut cx = Context::from_waker(&task_waker);
        assert!(Pin::new(&mut gated).poll(&mut cx).is_pending());
        assert_eq!(polls.load(Ordering::SeqCst), 1, "polled once at first");
        // The task woke for something else: the inner future is left alone.
        for _ in 0..3 {
            assert!(Pin::new(&mut gated).poll(&mut cx).is_pending());
        }
        assert_eq!(polls.load(Ordering::SeqCst), 1);
        // Its own waker fires: the task is woken, and the next poll reaches it.
        let waker = inner_waker.lock().unwrap().take().unwrap();
        waker.wake_by_ref();
        assert_eq!(task.0.load(Ordering::SeqCst), 1);
        assert!(Pin::new(&mut gated).poll(&mut cx).is_pending());
        assert_eq!(polls.load(Ordering::SeqCst), 2);
        // The same waker at every poll, so a timer or channel keeps the one it registered.
        assert!(
            inner_waker
                .lock()
                .unwrap()
                .as_ref()
                .unwrap()
                .will_wake(&waker)
        );
        assert!(Pin::new(&mut gated).poll(&mut cx).is_pending());
        assert_eq!(polls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_timer_inside_still_ends_while_the_task_wakes_for_other_things() {
        let sleep = pin!(tokio::time::sleep(Duration::from_secs(5)));
        let mut timer = Gated::new(sleep);
        for _ in 0..10 {
            tokio::select! {
                biased;
                () = &mut timer => panic!("the timer ended early"),
                () = tokio::task::yield_now() => {}
            }
        }
        tokio::time::advance(Duration::from_secs(5)).await;
        // A lost wake would leave the gated timer pending for good: the outer one ends it.
        let ended = tokio::time::timeout(Duration::from_secs(60), &mut timer).await;
        assert!(ended.is_ok(), "the gated timer's wake was lost");
    }
}
