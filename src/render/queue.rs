//! Fair queuing of render jobs: one queue per requester, the least recently served first, and a cap on how
//! many workers one requester may hold at once, so a client that posts slow diagrams as fast
//! as it can only ever delays itself (fair queuing in the sense of Nagle's RFC 970: each
//! source gets its own queue and a turn in rotation).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

/// Whose render a job is: its queue and its share of the workers. Accounts are one requester
/// wherever they call from; everyone without an account is one requester per address (an IPv6
/// client per /64 network, since one host can hold a whole /64), because guest identities
/// cost nothing to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Requester(Key);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Anyone,
    Account(i64),
    V4(u32),
    V6(u64),
}

impl Requester {
    /// Work with nobody behind it to tell apart (command-line renders, tests): one shared
    /// queue that may use every worker and has no bound on waiting jobs.
    pub const ANYONE: Requester = Requester(Key::Anyone);

    /// A signed-in account (`users.id`), from pages, REST or MCP alike.
    pub fn account(user_id: i64) -> Self {
        Self(Key::Account(user_id))
    }

    /// A caller without an account, by its address (IPv4-mapped IPv6 counts as IPv4).
    pub fn address(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self(Key::V4(u32::from(v4))),
            IpAddr::V6(v6) => Self(Key::V6((u128::from(v6) >> 64) as u64)),
        }
    }
}

/// The queue could not take the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refused {
    /// The requester already has `max_waiting` jobs waiting.
    TooManyWaiting,
}

struct State {
    /// Workers not running a job.
    free: usize,
    /// Most workers one requester may hold at once.
    per_requester: usize,
    /// Most jobs one requester may have waiting.
    max_waiting: usize,
    running: HashMap<Key, usize>,
    waiting: HashMap<Key, VecDeque<oneshot::Sender<()>>>,
    /// When each requester was last given a worker, by [`State::tick`]; a requester not in
    /// it has not been served lately and goes first.
    served: HashMap<Key, u64>,
    /// Counts the workers given out.
    tick: u64,
}

impl State {
    fn running(&self, key: Key) -> usize {
        self.running.get(&key).copied().unwrap_or(0)
    }

    /// The waiting requester served least recently that may take another worker.
    fn next_turn(&self) -> Option<Key> {
        self.waiting
            .iter()
            .filter(|(key, queue)| {
                !queue.is_empty()
                    && (**key == Key::Anyone || self.running(**key) < self.per_requester)
            })
            .map(|(key, _)| *key)
            .min_by_key(|key| self.served.get(key).copied().unwrap_or(0))
    }

    /// Hands free workers to waiting jobs: each to the requester served least recently (so
    /// one that just finished a job goes behind everyone waiting, and a newcomer goes
    /// first), skipping requesters at their cap and jobs whose caller has gone.
    fn dispatch(&mut self) {
        while self.free > 0 {
            let Some(key) = self.next_turn() else {
                return;
            };
            let queue = self.waiting.entry(key).or_default();
            let mut granted = false;
            while let Some(waiter) = queue.pop_front() {
                if waiter.send(()).is_ok() {
                    granted = true;
                    break;
                }
            }
            if queue.is_empty() {
                self.waiting.remove(&key);
            }
            if granted {
                self.free -= 1;
                *self.running.entry(key).or_insert(0) += 1;
                self.tick += 1;
                self.served.insert(key, self.tick);
            }
        }
    }

    fn release(&mut self, key: Key) {
        if let Some(n) = self.running.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                self.running.remove(&key);
            }
        }
        self.free += 1;
        if self.served.len() > 4096 {
            // Forget requesters with nothing running or waiting; they count as new again.
            let (running, waiting) = (&self.running, &self.waiting);
            self.served
                .retain(|k, _| running.contains_key(k) || waiting.contains_key(k));
        }
        self.dispatch();
    }
}

/// The queue in front of the workers.
pub(super) struct FairQueue {
    state: Arc<Mutex<State>>,
}

/// A worker is this job's until the slot is dropped.
pub(super) struct Slot {
    state: Arc<Mutex<State>>,
    key: Key,
}

impl Drop for Slot {
    fn drop(&mut self) {
        lock(&self.state).release(self.key);
    }
}

/// A job waiting for its turn. Dropped before its turn came (the caller gave up or went
/// away), it leaves the queue; dropped just as its turn came, it gives the worker back.
struct Waiting {
    turn: Option<oneshot::Receiver<()>>,
    state: Arc<Mutex<State>>,
    key: Key,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(mut turn) = self.turn.take() {
            turn.close();
            if turn.try_recv().is_ok() {
                lock(&self.state).release(self.key);
            }
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // The state holds counters only, each update complete before any call that could panic:
    // a poisoned lock still holds a consistent state.
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FairQueue {
    /// `workers` workers (at least 1); one requester may hold at most `per_requester` of them
    /// (at least 1) and have at most `max_waiting` jobs waiting.
    pub(super) fn new(workers: usize, per_requester: usize, max_waiting: usize) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                free: workers.max(1),
                per_requester: per_requester.max(1),
                max_waiting,
                running: HashMap::new(),
                waiting: HashMap::new(),
                served: HashMap::new(),
                tick: 0,
            })),
        }
    }

    /// Waits for `requester`'s turn on a worker. Cancel-safe: dropping the future leaves the
    /// queue.
    ///
    /// # Errors
    /// [`Refused::TooManyWaiting`] at once when the requester already has `max_waiting` jobs
    /// waiting.
    pub(super) async fn acquire(&self, requester: Requester) -> Result<Slot, Refused> {
        let key = requester.0;
        let turn = {
            let mut state = lock(&self.state);
            let max_waiting = state.max_waiting;
            let queue = state.waiting.entry(key).or_default();
            queue.retain(|waiter| !waiter.is_closed());
            if key != Key::Anyone && queue.len() >= max_waiting {
                if queue.is_empty() {
                    state.waiting.remove(&key);
                }
                return Err(Refused::TooManyWaiting);
            }
            let (tx, rx) = oneshot::channel();
            queue.push_back(tx);
            state.dispatch();
            rx
        };
        let mut waiting = Waiting {
            turn: Some(turn),
            state: Arc::clone(&self.state),
            key,
        };
        if let Some(turn) = waiting.turn.as_mut() {
            // The sender lives in the queue until it is used; it is only dropped unused when
            // the queue itself goes, which cannot happen while `self` is borrowed.
            let _ = turn.await;
        }
        waiting.turn = None;
        Ok(Slot {
            state: Arc::clone(&self.state),
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::time::Duration;

    fn ready<T>(f: impl std::future::Future<Output = T>) -> Option<T> {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }
    }

    #[test]
    fn addresses_group_ipv6_by_network_and_mapped_ipv4_as_ipv4() {
        let a: Ipv6Addr = "2001:db8:1:2::1".parse().unwrap_or(Ipv6Addr::LOCALHOST);
        let b: Ipv6Addr = "2001:db8:1:2:ffff::9"
            .parse()
            .unwrap_or(Ipv6Addr::LOCALHOST);
        let c: Ipv6Addr = "2001:db8:1:3::1".parse().unwrap_or(Ipv6Addr::LOCALHOST);
        assert_eq!(Requester::address(a.into()), Requester::address(b.into()));
        assert_ne!(Requester::address(a.into()), Requester::address(c.into()));
        let v4 = Ipv4Addr::new(192, 0, 2, 7);
        assert_eq!(
            Requester::address(v4.to_ipv6_mapped().into()),
            Requester::address(v4.into())
        );
        assert_ne!(Requester::account(1), Requester::account(2));
    }

    #[tokio::test]
    async fn one_requester_cannot_hold_every_worker_and_turns_rotate() {
        let queue = FairQueue::new(2, 1, 8);
        let flood = Requester::address(Ipv4Addr::new(10, 0, 0, 1).into());
        let other = Requester::address(Ipv4Addr::new(10, 0, 0, 2).into());
        let first = queue.acquire(flood).await;
        assert!(first.is_ok());
        // The flood's second job waits although a worker is free...
        let second = tokio::spawn({
            let state = Arc::clone(&queue.state);
            let queue = FairQueue { state };
            async move { queue.acquire(flood).await.is_ok() }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!second.is_finished());
        // ...so another requester gets it at once.
        let theirs = ready(queue.acquire(other));
        assert!(matches!(theirs, Some(Ok(_))));
        drop(first);
        assert!(second.await.unwrap_or(false));
    }

    #[test]
    fn waiting_is_bounded_per_requester_and_a_dropped_wait_leaves_the_queue() {
        let queue = FairQueue::new(1, 1, 2);
        let who = Requester::account(7);
        let held = ready(queue.acquire(who));
        assert!(matches!(held, Some(Ok(_))));
        let one = Box::pin(queue.acquire(who));
        let two = Box::pin(queue.acquire(who));
        let mut one = one;
        let mut two = two;
        assert!(ready(one.as_mut()).is_none());
        assert!(ready(two.as_mut()).is_none());
        assert!(matches!(
            ready(queue.acquire(who)),
            Some(Err(Refused::TooManyWaiting))
        ));
        drop(one);
        let mut three = Box::pin(queue.acquire(who));
        assert!(ready(three.as_mut()).is_none(), "room again, still waiting");
        drop(held);
        // The worker goes to the oldest job still waiting.
        let turn = ready(two.as_mut());
        assert!(matches!(turn, Some(Ok(_))));
        assert!(ready(three.as_mut()).is_none(), "one worker, held by `two`");
        drop(turn);
        assert!(matches!(ready(three.as_mut()), Some(Ok(_))));
    }

    #[test]
    fn a_requester_that_just_finished_goes_behind_one_that_waits() {
        let queue = FairQueue::new(2, 1, 8);
        let (a, b, newcomer) = (
            Requester::account(1),
            Requester::account(2),
            Requester::account(3),
        );
        let held_a = ready(queue.acquire(a));
        let held_b = ready(queue.acquire(b));
        let mut a_again = Box::pin(queue.acquire(a));
        let mut b_again = Box::pin(queue.acquire(b));
        assert!(ready(a_again.as_mut()).is_none());
        assert!(ready(b_again.as_mut()).is_none());
        let mut theirs = Box::pin(queue.acquire(newcomer));
        assert!(ready(theirs.as_mut()).is_none());
        drop(held_a);
        // The freed worker goes to the newcomer, not back to `a`, though `a` waited longer.
        let turn = ready(theirs.as_mut());
        assert!(matches!(turn, Some(Ok(_))));
        assert!(ready(a_again.as_mut()).is_none());
        drop(held_b);
        // Then `a`, served before `b`, comes before `b`.
        let a_turn = ready(a_again.as_mut());
        assert!(matches!(a_turn, Some(Ok(_))));
        assert!(ready(b_again.as_mut()).is_none());
        drop(turn);
        assert!(matches!(ready(b_again.as_mut()), Some(Ok(_))));
    }

    #[test]
    fn a_turn_given_to_a_caller_that_left_comes_back() {
        let queue = FairQueue::new(1, 1, 4);
        let who = Requester::account(1);
        let held = ready(queue.acquire(who));
        let mut gone = Box::pin(queue.acquire(who));
        assert!(ready(gone.as_mut()).is_none());
        drop(held); // the turn passes to `gone`...
        drop(gone); // ...which leaves without taking it
        assert!(matches!(ready(queue.acquire(who)), Some(Ok(_))));
    }
}
