//! Running independent jobs on scoped threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::thread;

/// Runs `work` on every job on up to `threads` threads (the calling one included), each
/// thread taking the next job not yet taken, and returns the results in the order of the
/// jobs. If the system refuses a thread, the threads that did start do its share.
pub(crate) fn run<J, R>(jobs: Vec<J>, threads: usize, work: impl Fn(J) -> R + Sync) -> Vec<R>
where
    J: Send,
    R: Send,
{
    let count = jobs.len();
    if threads <= 1 || count <= 1 {
        return jobs.into_iter().map(work).collect();
    }
    let slots: Vec<Mutex<Slot<J, R>>> =
        jobs.into_iter().map(|j| Mutex::new(Slot::Job(j))).collect();
    let next = AtomicUsize::new(0);
    let worker = || loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(slot) = slots.get(index) else {
            break;
        };
        let taken = std::mem::replace(
            &mut *slot.lock().unwrap_or_else(PoisonError::into_inner),
            Slot::Taken,
        );
        if let Slot::Job(job) = taken {
            let result = work(job);
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Slot::Done(result);
        }
    };
    thread::scope(|scope| {
        for _ in 1..threads.min(count) {
            if thread::Builder::new().spawn_scoped(scope, worker).is_err() {
                break;
            }
        }
        worker();
    });
    // The calling thread ran until no job was left, and the scope waited for the others
    // to finish theirs, so every slot holds its result.
    slots
        .into_iter()
        .filter_map(
            |slot| match slot.into_inner().unwrap_or_else(PoisonError::into_inner) {
                Slot::Done(result) => Some(result),
                Slot::Job(_) | Slot::Taken => None,
            },
        )
        .collect()
}

enum Slot<J, R> {
    Job(J),
    Taken,
    Done(R),
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_back_in_order() {
        let jobs: Vec<usize> = (0..50).collect();
        let squares = super::run(jobs, 3, |j| j * j);
        assert_eq!(squares, (0..50).map(|j| j * j).collect::<Vec<_>>());
        assert_eq!(super::run(Vec::<u8>::new(), 4, |j| j), Vec::<u8>::new());
    }
}
