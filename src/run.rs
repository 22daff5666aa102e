//! The only concurrency and deadline code: every job runs concurrently under one overall
//! deadline; a job that has not finished by then is reported as `None`, never lost.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// A boxed job.
pub type Job<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Longest accepted `--timeout`: a diagnosis is minutes at most, and a day keeps every
/// `Instant` arithmetic far from overflow.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// The moment everything must be done by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(Instant);

impl Deadline {
    /// `timeout` from now; None when that is past [`MAX_TIMEOUT`] or not representable.
    pub fn after(timeout: Duration) -> Option<Self> {
        if timeout > MAX_TIMEOUT {
            return None;
        }
        Instant::now().checked_add(timeout).map(Self)
    }

    /// `timeout` from now, capped at [`MAX_TIMEOUT`] (the configuration refuses more).
    pub fn within(timeout: Duration) -> Self {
        let now = Instant::now();
        Self(now.checked_add(timeout.min(MAX_TIMEOUT)).unwrap_or(now))
    }

    /// The instant itself.
    pub fn instant(self) -> Instant {
        self.0
    }

    /// Time left (zero once passed).
    pub fn left(self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// `min(limit, time left)`: the budget of one step that has its own limit.
    pub fn cap(self, limit: Duration) -> Duration {
        limit.min(self.left())
    }

    /// This deadline, moved earlier by `d` (never before now).
    pub fn earlier_by(self, d: Duration) -> Self {
        Self(self.0.checked_sub(d).unwrap_or(self.0).max(Instant::now()))
    }

    /// This deadline, moved later by `d` (for awaiting work that bounds itself by this one).
    pub fn later_by(self, d: Duration) -> Self {
        Self(self.0.checked_add(d).unwrap_or(self.0))
    }

    /// Whichever comes first.
    pub fn min(self, other: Self) -> Self {
        Self(self.0.min(other.0))
    }
}

/// A job started now and awaited later under a deadline; dropping it cancels the job.
#[derive(Debug)]
pub struct Task<T> {
    handle: JoinHandle<T>,
    deadline: Deadline,
}

/// Starts `job` at once; [`Task::join`] waits for it until `deadline`.
pub fn spawn<T: Send + 'static>(job: Job<T>, deadline: Deadline) -> Task<T> {
    Task {
        handle: tokio::spawn(job),
        deadline,
    }
}

/// Starts blocking work (OS tools, file reads) on the blocking pool at once. The work must
/// bound itself by `deadline` (see `host::dns_config::command`): a thread cannot be cancelled.
pub fn spawn_blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
    deadline: Deadline,
) -> Task<T> {
    Task {
        handle: tokio::task::spawn_blocking(work),
        deadline,
    }
}

impl<T> Task<T> {
    /// The job's value, or None when it did not finish by its deadline (or panicked).
    pub async fn join(mut self) -> Option<T> {
        match tokio::time::timeout_at(self.deadline.instant(), &mut self.handle).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(_)) | Err(_) => None,
        }
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Runs all jobs concurrently until they finish or `deadline` passes. The result has one slot
/// per job, in job order: `Some` when it finished, `None` when the deadline cut it off.
pub async fn fan_out<T: Send + 'static>(jobs: Vec<Job<T>>, deadline: Instant) -> Vec<Option<T>> {
    let mut slots: Vec<Option<T>> = Vec::with_capacity(jobs.len());
    slots.resize_with(jobs.len(), || None);
    let mut set = JoinSet::new();
    for (i, job) in jobs.into_iter().enumerate() {
        set.spawn(async move { (i, job.await) });
    }
    loop {
        match tokio::time::timeout_at(deadline, set.join_next()).await {
            Ok(Some(Ok((i, value)))) => {
                if let Some(slot) = slots.get_mut(i) {
                    *slot = Some(value);
                }
            }
            // A panicking job leaves its slot empty: it is reported like a timeout.
            Ok(Some(Err(_))) => {}
            Ok(None) => break,
            Err(_) => {
                set.abort_all();
                break;
            }
        }
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn unfinished_jobs_are_none_and_the_deadline_holds() {
        let jobs: Vec<Job<u32>> = vec![
            Box::pin(async { 1 }),
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                2
            }),
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                3
            }),
        ];
        let start = std::time::Instant::now();
        let out = fan_out(jobs, Instant::now() + Duration::from_millis(200)).await;
        assert_eq!(out, vec![Some(1), None, Some(3)]);
        assert!(start.elapsed() < Duration::from_millis(1000));
    }

    #[test]
    fn deadlines_past_a_day_are_refused_and_budgets_are_capped() {
        assert!(Deadline::after(MAX_TIMEOUT + Duration::from_secs(1)).is_none());
        assert!(Deadline::after(Duration::MAX).is_none());
        let d = Deadline::within(Duration::MAX);
        assert!(d.left() <= MAX_TIMEOUT);
        let d = Deadline::within(Duration::from_secs(2));
        assert!(d.cap(Duration::from_secs(8)) <= Duration::from_secs(2));
        assert_eq!(d.cap(Duration::from_millis(5)), Duration::from_millis(5));
        assert!(d.earlier_by(Duration::from_secs(60)).left() <= Duration::from_millis(10));
    }

    #[tokio::test]
    async fn a_task_past_its_deadline_is_none_and_is_cancelled() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = spawn(
            Box::pin(async move {
                let _tx = tx;
                tokio::time::sleep(Duration::from_secs(30)).await;
            }),
            Deadline::within(Duration::from_millis(100)),
        );
        assert_eq!(task.join().await, None);
        // The job was dropped: its sender is gone.
        assert!(rx.await.is_err());
    }

    #[tokio::test]
    async fn jobs_run_concurrently() {
        let jobs: Vec<Job<()>> = (0..50)
            .map(|_| -> Job<()> { Box::pin(tokio::time::sleep(Duration::from_millis(100))) })
            .collect();
        let start = std::time::Instant::now();
        let out = fan_out(jobs, Instant::now() + Duration::from_secs(5)).await;
        assert!(out.iter().all(Option::is_some));
        assert!(start.elapsed() < Duration::from_millis(1000));
    }
}
